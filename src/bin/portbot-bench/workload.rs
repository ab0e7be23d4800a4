//! The workload `portbot bench`'s growth table times, shared with `tests/plans.rs` (which
//! includes this file to ask the database for the plans of the same statements): the scripted
//! customer, a store grown with generated rows, and the paths that run all day.
//!
//! Rows are added in bulk with SQL ([`generate`]: a series of numbers, one set-based
//! `INSERT ... SELECT` per table, in one transaction), never through turns. Then a fresh
//! [`Service`] times, one call at a time ([`time_paths`]):
//!
//! - a customer's answer mid-flow ([`Service::turn`]);
//! - a guild message in a channel that holds no conversation ([`Service::chat_message`]);
//! - `/port status` ([`Service::status_replies`]);
//! - an agent's `/ticket list` first page and `tickets show` ([`Service::open_tickets`] and
//!   [`Service::ticket_or_draft`], what `discord/agents.rs` and `cli/tickets.rs` call);
//! - one worker pass: expiry, reminders, retention, and delivery of the agents' and Discord
//!   customers' due notices (`Worker::run_once`, `Worker::deliver`).
//!
//! The rows look like a deployment that has run for three years: most conversations finished or
//! cancelled, each with a ticket whose status follows its age, a fixed set of live (active and
//! paused) conversations, a few customers with many conversations, transcript lines, events,
//! delivered and pending notifications, small documents, drafts, a PIN (and most an account
//! number) per ticket. Secret and document bytes are zeros, not sealed values: no timed path
//! opens them.
//!
//! It uses the library's public API only, and nothing else of the bench but [`script`]:
//! `tests/plans.rs` includes it as a module of its own.

// Beside this file, wherever it is included from.
#[path = "script.rs"]
pub mod script;

use std::time::{Duration, Instant};

use anyhow::Context;
use portbot::conversation::Input;
use portbot::service::{ChatMessage, Customer, Service};
use portbot::store::{OutboxChannel, OutboxEntry};
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use script::SCRIPT;

/// Live (active or paused) conversations each step leaves; the previous step's are finished.
const LIVE: usize = 1_000;
/// Customers whose answers are timed at each size, each from the menu to the summary.
const TURN_CUSTOMERS: usize = 40;
/// Calls timed per read-only path at each size.
pub const SAMPLES: usize = 500;
/// Worker passes timed at each size.
const PASSES: usize = 50;
/// Tickets on a page of `/ticket list` (`TICKETS_PER_PAGE` in `discord/agents.rs`).
const LIST_PAGE: u32 = 20;
/// Minutes in three years: how far back history goes.
const HISTORY_MINUTES: i64 = 3 * 365 * 24 * 60;
/// Tickets younger than this (minutes) are still open.
const OPEN_MINUTES: i64 = 30 * 24 * 60;
/// Tickets younger than this many days keep their bill, as within the retention period (90
/// days after a ticket closes) every ticket does.
const KEPT_UPLOAD_DAYS: i64 = 80;

/// The paths timed, in table order.
const PATHS: &[&str] = &[
    "customer turn (an answer mid-flow)",
    "guild message in a channel with no conversation",
    "/port status",
    "/ticket list, first page",
    "tickets show",
    "worker pass (expiry, reminders, retention, outbox)",
];

/// Starts the conversation the generated live ones copy their state from: a real conversation
/// mid-flow. Once, before the first [`generate`].
pub async fn prepare(service: &Service) -> anyhow::Result<()> {
    answer_script(service, "growth-template", 6, false).await?;
    Ok(())
}

/// Answers the script from the start for `customer`: the first `count` answers. With `timed`,
/// the latency of every answer after the first (the first starts the conversation).
async fn answer_script(
    service: &Service,
    customer: &str,
    count: usize,
    timed: bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    // Owned answers: an iterator over `&str` held across an await makes the future not `Send`.
    let answers: Vec<String> = SCRIPT.iter().take(count).map(|a| a.to_string()).collect();
    for (step, answer) in answers.into_iter().enumerate() {
        let started = Instant::now();
        service
            .turn(
                &Customer::console(customer),
                Some(format!("{customer}-{step}")),
                Input::Text(answer),
            )
            .await?;
        if timed && step > 0 {
            latencies.push(started.elapsed());
        }
    }
    Ok(latencies)
}

/// A spread of existing ticket numbers to show.
pub async fn ticket_numbers(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM tickets")
        .fetch_one(&mut *conn)
        .await?;
    let step = (max / SAMPLES as i64).max(1);
    let ids: Vec<String> = (0..SAMPLES as i64)
        .map(|n| (1 + (n * step + n * 7919) % max.max(1)).to_string())
        .collect();
    Ok(sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT number FROM tickets WHERE id IN ({})",
        ids.join(", ")
    )))
    .fetch_all(&mut *conn)
    .await?)
}

/// Times every path of [`PATHS`], each named, once the store holds `size` generated conversations, each
/// read-only path `samples` times (customers whose answers are timed and worker passes in
/// proportion).
pub async fn time_paths(
    service: &Service,
    size: usize,
    round: usize,
    numbers: &[String],
    samples: usize,
) -> anyhow::Result<Vec<(&'static str, Vec<Duration>)>> {
    let mut figures = Vec::new();

    let mut turns = Vec::new();
    for n in 0..(TURN_CUSTOMERS * samples / SAMPLES).max(1) {
        let customer = format!("growth-{size}-{round}-{n}");
        turns.extend(answer_script(service, &customer, SCRIPT.len(), true).await?);
    }
    figures.push(turns);

    let mut channel = Vec::new();
    for n in 0..samples {
        let message = ChatMessage {
            author: Customer {
                platform: "discord".into(),
                id: format!("member-{n}"),
                channel_id: Some(format!("no-conversation-{n}")),
            },
            shared: true,
            agent: None,
            id: format!("growth-{size}-{round}-message-{n}"),
            text: "hello".into(),
            with_files: false,
            missed: false,
        };
        let started = Instant::now();
        let answer = service.chat_message(message, || async {}).await?;
        channel.push(started.elapsed());
        anyhow::ensure!(
            answer.is_none(),
            "a channel with no conversation took a message"
        );
    }
    figures.push(channel);

    // Ordinary customers (three conversations each), spread over the history.
    let mut status = Vec::new();
    for n in round * samples..(round + 1) * samples {
        let customer = Customer {
            platform: "discord".into(),
            id: format!("cust-{}", (n * 7919 + n) % (size / 3).max(1)),
            channel_id: None,
        };
        let started = Instant::now();
        service.status_replies(&customer).await?;
        status.push(started.elapsed());
    }
    figures.push(status);

    let mut list = Vec::new();
    for _ in 0..samples {
        let started = Instant::now();
        service.open_tickets(1, LIST_PAGE).await?;
        list.push(started.elapsed());
    }
    figures.push(list);

    let mut show = Vec::new();
    for number in numbers
        .iter()
        .cycle()
        .skip(round * samples)
        .take(samples)
        .cloned()
        .collect::<Vec<_>>()
    {
        let started = Instant::now();
        service.ticket_or_draft(&number).await?;
        show.push(started.elapsed());
    }
    figures.push(show);

    let worker = service.worker()?;
    let mut passes = Vec::new();
    for _ in 0..(PASSES * samples / SAMPLES).max(1) {
        let started = Instant::now();
        worker.run_once().await?;
        let delivered = async |_: &OutboxEntry| Ok::<(), std::convert::Infallible>(());
        worker
            .deliver(OutboxChannel::Agents, None, delivered)
            .await?;
        worker
            .deliver(OutboxChannel::Chat, Some("discord"), delivered)
            .await?;
        passes.push(started.elapsed());
    }
    figures.push(passes);
    Ok(PATHS.iter().copied().zip(figures).collect())
}

/// Makes a backlog of chat notices due now, as a restart finds them: one for every 30th live
/// conversation (about 33 at every size). The next worker pass claims and delivers them.
pub async fn notices_due(conn: &mut AnyConnection, now: i64) -> anyhow::Result<u64> {
    let payload = r#"'{"ticket_number":null,"recipient":null,"subject":"","body":"Your port request moved on."}'"#;
    let done = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO outbox (ticket_id, conversation_id, channel, customer_platform, \
         customer_id, payload, attempts, next_attempt_at, delivered_at, last_error, created_at) \
         SELECT NULL, id, 'chat', 'discord', customer_id, {payload}, 0, {now}, NULL, NULL, {now} \
         FROM conversations WHERE status IN ('active', 'paused_for_agent') AND id % 30 = 0"
    )))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Adds generated conversations `from + 1 ..= to` (global numbers g) with their tickets and
/// everything around them, in one transaction. `now` is the store's clock (unix ms).
pub async fn generate(
    conn: &mut AnyConnection,
    postgres: bool,
    from: usize,
    to: usize,
    now: i64,
) -> anyhow::Result<()> {
    let n = to.saturating_sub(from);
    if n == 0 {
        return Ok(());
    }
    let live = LIVE.min(n / 10);
    let (series, overriding, blob) = if postgres {
        (
            format!("WITH s(k) AS (SELECT generate_series(1, {n}::bigint))"),
            "OVERRIDING SYSTEM VALUE",
            "'\\x000000000000000000000000'::bytea",
        )
    } else {
        (
            format!(
                "WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < {n})"
            ),
            "",
            "X'000000000000000000000000'",
        )
    };
    let mut tx = conn.begin().await?;
    let max = async |tx: &mut AnyConnection, sql: &str| -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut *tx)
            .await?)
    };
    let bc = max(&mut tx, "SELECT COALESCE(MAX(id), 0) FROM conversations").await?;
    let bt = max(&mut tx, "SELECT COALESCE(MAX(id), 0) FROM tickets").await?;
    let counter = max(&mut tx, "SELECT value FROM counters WHERE name = 'ticket'").await?;

    // How old a generated row is (minutes before three days ago), spread over the history.
    let age = format!("((g * 104729) % {HISTORY_MINUTES})");
    let created = format!("({now} - 259200000 - {age} * 60000)");
    let updated = format!("({created} + (g % 2880) * 60000)");
    let open_status = "CASE g % 5 WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_review' \
                       WHEN 2 THEN 'sent_to_carrier' WHEN 3 THEN 'foc_confirmed' \
                       ELSE 'needs_info' END";
    let kept_since = now - KEPT_UPLOAD_DAYS * 86_400_000;
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let payload = r#"'{"ticket_number":null,"recipient":"customer@example.com","subject":"Your port request","body":"Your port request moved on."}'"#;

    let statements = [
        // The previous step's live conversations are over by now: expired (cancelled), with
        // their uploads deleted, as the worker's expiry does.
        "DELETE FROM documents WHERE kind IN ('bill', 'csr') AND conversation_id IN \
         (SELECT id FROM conversations WHERE status IN ('active', 'paused_for_agent') \
         AND customer_id LIKE 'cust-%')"
            .to_string(),
        "UPDATE conversations SET status = 'cancelled' \
         WHERE status IN ('active', 'paused_for_agent') AND customer_id LIKE 'cust-%'"
            .to_string(),
        format!(
            "{series}, b AS (SELECT k, {from} + k AS g FROM s), \
             x AS (SELECT k, g, CASE WHEN g <= 5000 AND g % 10 = 7 THEN 'heavy-' || ((g / 10) % 5) \
             ELSE 'cust-' || (g / 3) END AS cust, CASE WHEN k > {n} - {live} THEN 1 ELSE 0 END \
             AS live FROM b) \
             INSERT INTO conversations (id, platform, channel_id, customer_id, flow, step, state, \
             status, version, created_at, updated_at) {overriding} \
             SELECT {bc} + k, 'discord', 'thread-' || cust, cust, t.flow, \
             CASE WHEN live = 1 THEN t.step END, CASE WHEN live = 1 THEN t.state ELSE '{{}}' END, \
             CASE WHEN live = 1 AND k % 10 = 0 THEN 'paused_for_agent' WHEN live = 1 THEN 'active' \
             WHEN g % 7 = 0 THEN 'cancelled' ELSE 'finished' END, 20, \
             CASE WHEN live = 1 THEN {now} - (g % 3600) * 1000 ELSE {created} END, \
             CASE WHEN live = 1 THEN {now} - (g % 3600) * 1000 ELSE {updated} END \
             FROM x, (SELECT flow, step, state FROM conversations \
             WHERE customer_id = 'growth-template') t"
        ),
        format!(
            "{series}, b AS (SELECT k, {from} + k AS g FROM s WHERE k <= {n} - {live}) \
             INSERT INTO tickets (id, number, conversation_id, kind, status, carrier, number_type, \
             customer_type, customer_name, address_street, address_unit, address_city, \
             address_state, address_zip, authorized_name, authorized_title, btn, partial_port, \
             new_btn, requested_port_date, email, signer_name, signer_id, signed_at, \
             signature_request_id, content_sha256, loa_version, created_at, updated_at) \
             {overriding} \
             SELECT {bt} + k, 'PB-' || ({counter} + k), {bc} + k, \
             CASE WHEN g % 10 = 0 THEN 'toll_free' ELSE 'local' END, \
             CASE WHEN {age} < {OPEN_MINUTES} THEN {open_status} \
             WHEN g % 7 = 0 THEN 'cancelled' ELSE 'completed' END, \
             'AT&T', 'landline', CASE WHEN g % 2 = 0 THEN 'business' ELSE 'residential' END, \
             'Customer ' || g, '500 W Madison St', NULL, 'Chicago', 'IL', '60661', 'Pat Doe', \
             NULL, NULL, 0, NULL, '2025-01-15', 'c' || g || '@example.com', 'Pat Doe', \
             'discord:cust-' || (g / 3), {created}, 'sig-' || g, '{sha}', 1, {created}, {updated} \
             FROM b"
        ),
        format!("UPDATE counters SET value = value + {n} WHERE name = 'ticket'"),
        // Exchanges N2X: never an N11 code, which the number type refuses.
        format!(
            "INSERT INTO ticket_numbers (ticket_id, e164, position) \
             SELECT id, '+1312' || ((2 + id % 8) * 100 + 20 + id % 10) || (1000 + (id / 10) % 9000), \
             0 FROM tickets \
             WHERE id > {bt} UNION ALL \
             SELECT id, '+1773' || ((2 + id % 8) * 100 + 20 + id % 10) || (1000 + (id / 7) % 9000), \
             1 FROM tickets \
             WHERE id > {bt} AND id % 4 = 0"
        ),
        // Sealed secrets' rows, for the plans (every real ticket has its PIN, most an account
        // number): the bytes are zeros, not a sealed value, and no timed path opens them.
        format!(
            "INSERT INTO secrets (ticket_id, kind, nonce, ciphertext, updated_at) \
             SELECT id, 'pin', {blob}, {blob}, created_at FROM tickets WHERE id > {bt} \
             UNION ALL \
             SELECT id, 'account_number', {blob}, {blob}, created_at FROM tickets \
             WHERE id > {bt} AND id % 3 <> 0"
        ),
        format!(
            "INSERT INTO ticket_events (ticket_id, actor, action, from_status, to_status, note, \
             visibility, at) \
             SELECT id, signer_id, 'submitted', NULL, 'submitted', NULL, 'customer', created_at \
             FROM tickets WHERE id > {bt} UNION ALL \
             SELECT id, 'agent-1', 'status', 'submitted', status, NULL, 'internal', updated_at \
             FROM tickets WHERE id > {bt}"
        ),
        format!(
            "INSERT INTO transcript (conversation_id, who, text, attachment, platform_message_id, \
             at) \
             SELECT c.id, CASE WHEN w.j = 2 THEN 'bot' ELSE 'customer' END, 'line ' || w.j, \
             NULL, NULL, c.created_at + w.j * 1000 \
             FROM conversations c, (SELECT 1 AS j UNION ALL SELECT 2 UNION ALL SELECT 3) w \
             WHERE c.id > {bc} ORDER BY c.id, w.j"
        ),
        format!(
            "INSERT INTO processed_messages (platform, message_id, conversation_id, processed_at) \
             SELECT 'discord', 'm-' || id, id, created_at FROM conversations WHERE id > {bc}"
        ),
        // Delivered: an email for every ticket. Pending: for live conversations, a few chat
        // notices due now (the next worker pass delivers them), retries not due yet, given up.
        format!(
            "INSERT INTO outbox (ticket_id, conversation_id, channel, customer_platform, \
             customer_id, payload, attempts, next_attempt_at, delivered_at, last_error, \
             created_at) \
             SELECT t.id, t.conversation_id, 'email', 'discord', c.customer_id, {payload}, 1, \
             t.created_at, t.created_at + 60000, NULL, t.created_at \
             FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE t.id > {bt} \
             UNION ALL \
             SELECT NULL, id, CASE WHEN id % 3 = 0 THEN 'email' ELSE 'chat' END, 'discord', \
             customer_id, {payload}, CASE WHEN id % 100 = 0 THEN 8 ELSE id % 3 END, \
             CASE WHEN id % 20 = 0 THEN {now} ELSE {now} + 3600000 END, NULL, NULL, updated_at \
             FROM conversations WHERE id > {bc} AND status IN ('active', 'paused_for_agent') \
             AND id % 5 = 0"
        ),
        format!(
            "INSERT INTO documents (ticket_id, conversation_id, kind, version, file_name, \
             content_type, size, sha256, nonce, ciphertext, created_at) \
             SELECT id, NULL, 'loa', 1, number || '-loa-v1.pdf', 'application/pdf', 12, '{sha}', \
             {blob}, {blob}, created_at FROM tickets WHERE id > {bt} AND id % 10 = 0 \
             UNION ALL \
             SELECT NULL, id, 'bill', NULL, 'bill.pdf', 'application/pdf', 12, '{sha}', {blob}, \
             {blob}, created_at FROM conversations WHERE id > {bc} \
             AND status IN ('active', 'paused_for_agent') AND id % 10 = 0 \
             UNION ALL \
             SELECT NULL, conversation_id, 'bill', NULL, 'bill.pdf', 'application/pdf', 12, \
             '{sha}', {blob}, {blob}, created_at FROM tickets WHERE id > {bt} \
             AND created_at >= {kept_since}"
        ),
        format!(
            "INSERT INTO drafts (number, conversation_id, missing, summary, created_by, status, \
             created_at, updated_at) \
             SELECT number, conversation_id, '[\"email\"]', 'A draft an agent saved.', \
             'agent-1', 'submitted', created_at, updated_at FROM tickets \
             WHERE id > {bt} AND id % 1000 = 0"
        ),
    ];
    for sql in statements {
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .context("a bulk insert")?;
    }
    if postgres {
        for table in ["conversations".to_string(), "tickets".to_string()] {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT MAX(id) FROM {table}))"
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    // What a deployment that grew to this size has had done by now: PostgreSQL's autovacuum
    // (statistics, hint bits, visibility map) and checkpoints, SQLite's checkpoint of its WAL.
    // Otherwise the first timed calls pay for the bulk load.
    let settle: &[&str] = if postgres {
        &["VACUUM (ANALYZE)", "CHECKPOINT"]
    } else {
        &["PRAGMA wal_checkpoint(TRUNCATE)"]
    };
    for sql in settle {
        sqlx::raw_sql(AssertSqlSafe(*sql))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
