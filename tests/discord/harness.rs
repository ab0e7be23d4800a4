//! The bot on a fake Discord, and the steps of a port-in through it, shared by the Discord
//! test files.

#![allow(dead_code)]

use fake::{AGENT_CHANNEL, AGENT_ROLE, APPLICATION, FakeDiscord, GUILD, INTAKE, TOKEN, User};
use portbot::config::Config;
use portbot::discord::DiscordConfig;
use portbot::discord::words::Words;
use portbot::prompts::Prompts;
use portbot::service::Service;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::fake;

/// Monday, November 23, 2026, 10:00 Eastern, as in the terminal tests.
pub const NOW: &str = "2026-11-23T15:00:00Z";

/// The bot on a fake Discord; `restart` stops it and starts a new one on the same data.
pub struct Harness {
    pub fake: FakeDiscord,
    pub dir: tempfile::TempDir,
    pub bot: Option<(
        oneshot::Sender<()>,
        std::thread::JoinHandle<anyhow::Result<()>>,
    )>,
    /// The customer's thread, once opened.
    pub thread: u64,
    /// Calls before this index were already looked at.
    pub seen: usize,
    /// Settings that differ from `config`'s: (variable, value).
    pub overrides: Vec<(String, String)>,
}

/// The service and the Discord words for `config`, as `portbot discord` starts them.
pub async fn start(config: Config) -> anyhow::Result<(Service, Words)> {
    let (words, discord) = Prompts::load(config.prompts_dir.as_deref())?.split();
    Ok((Service::start(config, words).await?, discord))
}

/// The settings for data folder `dir`; the words come from `dir/prompts` when a test put
/// its own there.
pub fn config(dir: &std::path::Path) -> Config {
    config_with(dir, &[])
}

/// The settings for data folder `dir` with some of them set otherwise: (variable, value).
pub fn config_with(dir: &std::path::Path, overrides: &[(String, String)]) -> Config {
    let prompts = dir.join("prompts");
    let prompts = prompts.exists().then(|| prompts.display().to_string());
    let dir = dir.display().to_string();
    Config::from_lookup(|name| {
        if let Some((_, value)) = overrides.iter().find(|(n, _)| n == name) {
            return Some(value.clone());
        }
        match name {
            "PORTBOT_NOW" => Some(NOW.into()),
            "PORTBOT_DATA_DIR" => Some(dir.clone()),
            // Scripted customers answer faster than people: no spam limits here.
            "PORTBOT_MAX_MESSAGES_PER_MINUTE" | "PORTBOT_MAX_CONVERSATIONS_PER_DAY" => {
                Some("0".into())
            }
            "PORTBOT_PROMPTS_DIR" => prompts.clone(),
            // Notices made outside Discord reach the thread within a second.
            "PORTBOT_WORKER_INTERVAL_SECS" => Some("1".into()),
            _ => None,
        }
    })
    .unwrap()
}

/// The Discord settings (variable, value) for the fake server, with `role` as the agent role.
pub fn discord_settings(fake: &FakeDiscord, role: u64) -> [(&'static str, String); 6] {
    [
        ("DISCORD_TOKEN", TOKEN.to_string()),
        ("PORTBOT_DISCORD_GUILD_ID", GUILD.to_string()),
        ("PORTBOT_DISCORD_INTAKE_CHANNEL_ID", INTAKE.to_string()),
        ("PORTBOT_DISCORD_AGENT_ROLE_ID", role.to_string()),
        (
            "PORTBOT_DISCORD_AGENT_CHANNEL_ID",
            AGENT_CHANNEL.to_string(),
        ),
        ("PORTBOT_DISCORD_API_URL", fake.api_url.clone()),
    ]
}

/// The Discord settings for the fake server, with `role` as the agent role.
pub fn discord_config(fake: &FakeDiscord, role: u64) -> DiscordConfig {
    let vars = discord_settings(fake, role);
    DiscordConfig::from_lookup(|name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(|_| {}).await
    }

    /// Starts the bot after `prepare` has set up its (still empty) data folder.
    pub async fn start_with(prepare: impl FnOnce(&std::path::Path)) -> Harness {
        Harness::start_on(FakeDiscord::start().await, &[], prepare).await
    }

    /// Starts the bot on `fake` (a test may have told it to refuse some calls), with the settings
    /// `overrides` (variable, value) set otherwise than in `config`.
    pub async fn start_on(
        fake: FakeDiscord,
        overrides: &[(&str, &str)],
        prepare: impl FnOnce(&std::path::Path),
    ) -> Harness {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let mut harness = Harness {
            fake,
            dir: tempfile::tempdir().unwrap(),
            bot: None,
            thread: 0,
            seen: 0,
            overrides: overrides
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        prepare(harness.dir.path());
        harness.start_bot().await;
        harness
    }

    /// Runs the bot on its own thread and runtime, as `portbot discord` runs it (awaited by
    /// `main`, never spawned: its outbox loop's future is not `Send`).
    pub async fn start_bot(&mut self) {
        let config = config_with(self.dir.path(), &self.overrides);
        let discord = discord_config(&self.fake, AGENT_ROLE);
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (service, words) = start(config).await?;
                let ran = portbot::discord::run(service, words, discord, async {
                    let _ = stopped.await;
                })
                .await;
                if let Err(error) = &ran {
                    eprintln!("the bot stopped: {error:#}");
                }
                ran
            })
        });
        self.bot = Some((stop, thread));
        self.seen = self.fake.wait_ready(self.seen).await;
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_bot().await;
    }

    /// Stops the bot (as SIGTERM does) and waits until it has let go of everything.
    pub async fn stop(&mut self) {
        let (stop, thread) = self.bot.take().unwrap();
        stop.send(()).unwrap();
        tokio::task::spawn_blocking(move || thread.join().unwrap().unwrap())
            .await
            .unwrap();
    }

    /// Waits for the bot's next question in the thread (a message with buttons) and returns
    /// it; everything posted up to it counts as seen.
    pub async fn next_question(&mut self) -> Value {
        let path = format!("/api/v10/channels/{}/messages", self.thread);
        let since = self.seen;
        let (index, message) = self
            .fake
            .wait_for("the next question", |calls| {
                calls[since..]
                    .iter()
                    .enumerate()
                    .find(|(_, c)| {
                        c.method == "POST"
                            && c.path == path
                            && c.response["components"]
                                .as_array()
                                .is_some_and(|a| !a.is_empty())
                    })
                    .map(|(i, c)| (since + i, c.response.clone()))
            })
            .await;
        self.seen = index + 1;
        message
    }

    /// Types `text` in the thread as `user` and returns the next question.
    pub async fn say(&mut self, user: &User, text: &str) -> Value {
        self.fake.message(user, self.thread, text, Vec::new());
        self.next_question().await
    }

    /// `/port open` as `user`: returns the first question in the new private thread.
    pub async fn open(&mut self, user: &User) -> Value {
        let since = self.seen;
        self.fake.slash(user, INTAKE, "port", "open", json!([]));
        let thread = self
            .fake
            .wait_for("the private thread", |calls| {
                calls[since..]
                    .iter()
                    .find(|c| c.method == "POST" && c.path.ends_with("/threads"))
                    .map(|c| c.response["id"].as_str().unwrap().parse::<u64>().unwrap())
            })
            .await;
        self.thread = thread;
        self.next_question().await
    }

    /// The bot's database, opened beside it, to look at what the bot stored.
    pub async fn store(&self) -> portbot::store::Store {
        let config = config_with(self.dir.path(), &self.overrides);
        let (cipher, _) =
            portbot::secrets::Cipher::load_or_create(config.secret_key.as_ref(), &config.data_dir)
                .unwrap();
        portbot::store::Store::connect(&config.database_url, cipher)
            .await
            .unwrap()
    }

    pub async fn service(&self) -> Service {
        start(config_with(self.dir.path(), &self.overrides))
            .await
            .unwrap()
            .0
    }
}

/// The custom_id of the button labelled `label` on a message.
pub fn button(message: &Value, label: &str) -> String {
    message["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["components"].as_array().unwrap())
        .find(|b| b["label"] == label)
        .unwrap_or_else(|| panic!("no button {label:?} on {message}"))["custom_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The step a question asks, read from its buttons' custom_ids (`pb:<conversation>:<step>:..`).
pub fn step(message: &Value) -> String {
    let id = message["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap();
    id.split(':').nth(2).unwrap().to_string()
}

pub fn zoe() -> User {
    User::customer(700_000_000_000_000_001, "zoe")
}

/// Zoe writing to the bot in a DM (no guild, no roles).
pub fn zoe_in_a_dm() -> User {
    User {
        roles: None,
        ..zoe()
    }
}

pub const BILL: &[u8] = include_bytes!("../fixtures/bill.pdf");

/// `/port open`, then the buttons up to the question that asks for the bill, which it returns.
pub async fn up_to_the_bill(h: &mut Harness, zoe: &User) -> Value {
    let menu = h.open(zoe).await;
    h.fake.press(zoe, &menu, &button(&menu, "Port numbers in"));
    let checklist = h.next_question().await;
    assert_eq!(step(&checklist), "checklist");
    h.fake
        .press(zoe, &checklist, &button(&checklist, "Yes, both"));
    let bill = h.next_question().await;
    assert_eq!(step(&bill), "bill_copy");
    bill
}

/// The steps of the questions posted in `channel` from call `since` on, in order.
pub fn questions_in(h: &Harness, channel: u64, since: usize) -> Vec<String> {
    let path = format!("/api/v10/channels/{channel}/messages");
    h.fake.calls()[since..]
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .filter(|c| {
            c.response["components"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .map(|c| step(&c.response))
        .collect()
}

/// From the menu to the PIN question, uploading the bill on the way.
pub async fn up_to_the_pin(h: &mut Harness, zoe: &User) -> Value {
    up_to_the_bill(h, zoe).await;
    let attachment = h.fake.attachment("bill.pdf", BILL.to_vec());
    h.fake.message(zoe, h.thread, "", vec![attachment]);
    assert_eq!(step(&h.next_question().await), "bill_date");
    assert_eq!(step(&h.say(zoe, "Nov 10").await), "pin_required");
    let pin = h.say(zoe, "yes").await;
    assert_eq!(step(&pin), "pin");
    pin
}

/// The whole port-in through the thread: buttons, an uploaded bill, the PIN and account number
/// in modals, the summary embed, consent and the signature modal. Returns the ticket number.
pub async fn port_in(h: &mut Harness, zoe: &User) -> String {
    let summary = up_to_the_summary(h, zoe).await;
    sign(h, zoe, &summary).await
}

/// Every answer up to the summary embed, which it returns.
pub async fn up_to_the_summary(h: &mut Harness, zoe: &User) -> Value {
    let question = up_to_the_pin(h, zoe).await;
    from_the_pin_to_the_summary(h, zoe, question).await
}

/// From the PIN question (in the thread or DM `h.thread`) to the summary embed.
pub async fn from_the_pin_to_the_summary(h: &mut Harness, zoe: &User, question: Value) -> Value {
    // The PIN goes through the modal, never through the channel.
    let private = button(&question, "Enter privately");
    let since = h.fake.calls().len();
    h.fake.press(zoe, &question, &private);
    let modal = h
        .fake
        .wait_for("the modal", |calls| {
            calls[since..]
                .iter()
                .find(|c| c.path.ends_with("/callback") && c.json["type"] == 9)
                .map(|c| c.json.clone())
        })
        .await;
    assert_eq!(modal["data"]["custom_id"], private);
    h.fake.submit_modal(zoe, h.thread, &private, "4821");
    let mut question = h.next_question().await;

    for answer in [
        "(312) 448-2915, 312.448.2916",
        "yes",
        "AT&T",
        "business landline",
        "Acme Plumbing LLC",
        "500 W Madison St, Chicago, IL 60661",
        "Zoë Łukasiewicz, Office Manager",
    ] {
        question = h.say(zoe, answer).await;
    }
    assert_eq!(step(&question), "account_number");
    let private = button(&question, "Enter privately");
    h.fake
        .submit_modal(zoe, h.thread, &private, "8472 1193 0045");
    h.next_question().await;
    for answer in ["no", "ok", "zoe@acmeplumbing.example.com"] {
        question = h.say(zoe, answer).await;
    }
    assert_eq!(step(&question), "summary");
    assert!(
        question["embeds"][0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("Acme Plumbing LLC")),
        "the summary is an embed: {question}"
    );
    question
}

/// Confirms the summary, agrees and signs in the modal; returns the number on the LOA posted.
pub async fn sign(h: &mut Harness, zoe: &User, summary: &Value) -> String {
    h.fake.press(zoe, summary, &button(summary, "Confirm"));
    let consent = h.next_question().await;
    h.fake
        .press(zoe, &consent, &button(&consent, "Yes, I agree"));
    let signature = h.next_question().await;
    assert_eq!(step(&signature), "signature");
    let since = h.seen;
    h.fake.submit_modal(
        zoe,
        h.thread,
        &button(&signature, "Sign"),
        "Zoë Łukasiewicz",
    );
    let thread_messages = format!("/api/v10/channels/{}/messages", h.thread);
    let loa = h
        .fake
        .wait_for("the LOA in the thread", |calls| {
            calls[since..]
                .iter()
                .find(|c| c.path == thread_messages && !c.files.is_empty())
                .cloned()
        })
        .await;
    assert!(loa.content_type.starts_with("multipart/form-data"));
    let (name, pdf) = &loa.files[0];
    assert!(name.starts_with("LOA-") && name.ends_with(".pdf"), "{name}");
    assert!(pdf.starts_with(b"%PDF"));
    let number = name
        .trim_start_matches("LOA-")
        .trim_end_matches(".pdf")
        .to_string();
    assert!(loa.json["content"].as_str().unwrap().contains(&number));
    // The customer is pointed at the attachment, never at a path on the server.
    let data_dir = h.dir.path().display().to_string();
    assert!(
        h.fake.calls()[since..]
            .iter()
            .all(|c| !c.json.to_string().contains(&data_dir)),
        "a server path was posted"
    );
    h.seen = h.fake.calls().len();
    number
}

/// The bot's answer to the interaction with `token`: an immediate response's data, or the
/// first follow-up after a deferral.
pub async fn answer_to(h: &Harness, token: &str) -> Value {
    let callback = format!("/{token}/callback");
    let followup = format!("/webhooks/{APPLICATION}/{token}");
    h.fake
        .wait_for("the answer to an interaction", |calls| {
            calls.iter().find_map(|c| {
                if c.path.ends_with(&callback) && c.json["type"] == 4 {
                    Some(c.json["data"].clone())
                } else if c.path.ends_with(&followup) {
                    Some(c.json.clone())
                } else {
                    None
                }
            })
        })
        .await
}

pub fn number_option(number: &str) -> Value {
    json!({ "name": "number", "type": 3, "value": number })
}

pub fn ephemeral(reply: &Value) -> bool {
    reply["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}
