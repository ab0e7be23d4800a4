//! Figure 4: LOA renders per second on one core, against the same content rendered by Python's
//! reportlab.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, bail};
use portbot::porting::{PortRequest, ProviderInfo, SignatureRecord};

use crate::{Options, Row, verdict};

/// LOA renders per second on one core, and the same content through reportlab.
pub fn loa_benchmark(options: &Options) -> anyhow::Result<Vec<Row>> {
    let prompts = portbot::prompts::Prompts::builtin()?;
    let provider = ProviderInfo {
        name: "Example Voice Co.".into(),
        address: "100 Example Ave, Suite 200, Chicago, IL 60601".into(),
        contact: "porting@example.com, (312) 448-2900".into(),
    };
    let (request, signature) = portbot::loa::sample_request(false, 10);
    let mut bytes = 0;
    // Warm the font caches as a long-running bot would have them.
    for _ in 0..20 {
        bytes = portbot::loa::render(&request, &signature, &provider, &prompts.loa)?.len();
    }
    let started = Instant::now();
    for _ in 0..options.loa_renders {
        std::hint::black_box(portbot::loa::render(
            &request,
            &signature,
            &provider,
            &prompts.loa,
        )?);
    }
    let ours = options.loa_renders as f64 / started.elapsed().as_secs_f64();
    let mut rows = vec![
        Row {
            what: "LOA renders/s, 10 numbers, one core".into(),
            value: format!("{ours:.0}/s"),
            limit: "at least 1,000/s".into(),
            verdict: verdict(ours >= 1000.0),
        },
        Row {
            what: "LOA size, 10 numbers".into(),
            value: format!("{:.1} KB", bytes as f64 / 1000.0),
            limit: "at most 60 KB".into(),
            verdict: verdict(bytes <= 60_000),
        },
    ];
    if !options.skip_reportlab {
        match reportlab_rate(&request, &signature, &provider) {
            Ok((theirs, their_bytes)) => rows.push(Row {
                what: format!(
                    "reportlab, same content ({:.1} KB each): renders/s, and ours / theirs",
                    their_bytes as f64 / 1000.0
                ),
                value: format!("{theirs:.0}/s; {:.1}x", ours / theirs),
                limit: "ours at least 10x".into(),
                verdict: verdict(ours / theirs >= 10.0),
            }),
            Err(e) => rows.push(Row {
                what: "reportlab comparison".into(),
                value: format!("not run: {e}"),
                limit: "ours at least 10x".into(),
                verdict: "unknown".into(),
            }),
        }
    }
    Ok(rows)
}

/// Installs reportlab in a virtual environment (once, cached) and runs
/// `benches/reportlab_loa.py` on the same request; returns renders/s and bytes.
fn reportlab_rate(
    request: &PortRequest,
    signature: &SignatureRecord,
    provider: &ProviderInfo,
) -> anyhow::Result<(f64, usize)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("benches/reportlab_loa.py");
    if !script.exists() {
        bail!("{} is missing (run from the source tree)", script.display());
    }
    let venv = std::env::var_os("PORTBOT_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("portbot-bench-venv"));
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 -m venv")?;
        if !status.success() {
            bail!(
                "could not create a virtual environment at {}",
                venv.display()
            );
        }
    }
    let has_reportlab = std::process::Command::new(&python)
        .args(["-c", "import reportlab"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_reportlab {
        let status = std::process::Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "reportlab",
            ])
            .status()
            .context("pip install reportlab")?;
        if !status.success() {
            bail!("pip install reportlab failed");
        }
    }
    let input = serde_json::json!({
        "numbers": request.numbers.iter().map(|n| n.national()).collect::<Vec<_>>(),
        "carrier": request.carrier,
        "customer_name": request.customer_name,
        "customer_type": request.customer_type.as_str(),
        "address": request.service_address.one_line(),
        "authorized_name": request.authorized_name,
        "authorized_title": request.authorized_title,
        "btn": request.btn.as_ref().map(|n| n.national()),
        "account_number": request.account_number,
        "number_type": request.number_type.as_str(),
        "partial_port": request.partial_port,
        "port_date": request.requested_port_date.format("%B %-d, %Y").to_string(),
        "email": request.email.as_str(),
        "provider": [provider.name.clone(), provider.address.clone(), provider.contact.clone()],
        "signer_name": signature.signer_name,
        "signer_id": signature.signer_id,
        "signed_at": signature.signed_at.to_rfc3339(),
        "request_id": signature.request_id,
        "sha256": signature.content_sha256,
        "font_dir": root.join("assets/fonts").display().to_string(),
    });
    let output = std::process::Command::new(&python)
        .arg(&script)
        .arg("300")
        .arg(input.to_string())
        .output()
        .context("running the reportlab script")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let text = String::from_utf8(output.stdout)?;
    let mut parts = text.split_whitespace();
    let rate: f64 = parts.next().context("no rate")?.parse()?;
    let bytes: usize = parts.next().context("no size")?.parse()?;
    Ok((rate, bytes))
}
