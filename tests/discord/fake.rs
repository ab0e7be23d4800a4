//! A local fake Discord for the real serenity client: the REST API over plain HTTP/1.1 and the
//! WebSocket gateway, both on 127.0.0.1. It records every REST call, lets a test inject gateway
//! events (INTERACTION_CREATE, MESSAGE_CREATE) and serves attachment downloads. Payloads follow
//! Discord's documented shapes (https://discord.com/developers/docs), API v10.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const GUILD: u64 = 900_000_000_000_000_001;
pub const INTAKE: u64 = 900_000_000_000_000_002;
pub const AGENT_CHANNEL: u64 = 900_000_000_000_000_003;
pub const AGENT_ROLE: u64 = 900_000_000_000_000_004;
pub const BOT: u64 = 900_000_000_000_000_005;
pub const APPLICATION: u64 = 900_000_000_000_000_006;
/// The bot's own role in the guild.
pub const BOT_ROLE: u64 = 900_000_000_000_000_007;
/// What the invite URL in the README grants: View Channels, Send Messages, Manage Messages,
/// Embed Links, Attach Files, Read Message History, Create Private Threads, Send Messages in
/// Threads.
pub const BOT_PERMISSIONS: u64 = 343_597_509_632;
/// The first id the fake gives out: the snowflake of 2026-11-23T15:00:00Z.
pub const FIRST_ID: u64 = (1_795_446_000_000 - 1_420_070_400_000) << 22;
/// A token shaped like a real one; it opens nothing.
pub const TOKEN: &str = "OTAwMDAwMDAwMDAwMDAwMDA1.fake00.not-a-real-token-only-for-the-fake";

/// One REST call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub content_type: String,
    /// The JSON body (for multipart: the `payload_json` part).
    pub json: Value,
    /// Files of a multipart body: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// What the fake answered (for a posted message: the message, with its components).
    pub response: Value,
}

impl Call {
    /// The message this call posts or edits, as the bot sent it (its content, embeds and
    /// `allowed_mentions`): a channel message, an interaction's reply, a follow-up or an edit.
    pub fn message(&self) -> Option<&Value> {
        let api = self.path.strip_prefix("/api/v10/")?;
        let segments: Vec<&str> = api.split('/').collect();
        match (self.method.as_str(), segments.as_slice()) {
            ("POST", ["channels", _, "messages"])
            | ("POST", ["webhooks", _, _])
            | ("PATCH", ["webhooks", _, _, "messages", _]) => Some(&self.json),
            // 4: a reply; 7: an update of the pressed message. Others (acknowledgements, modals)
            // post nothing.
            ("POST", ["interactions", _, _, "callback"])
                if self.json["type"] == 4 || self.json["type"] == 7 =>
            {
                Some(&self.json["data"])
            }
            _ => None,
        }
    }
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// Messages as the fake stores them (those the bot posted), by id.
    messages: HashMap<u64, Value>,
    attachments: HashMap<String, Vec<u8>>,
    /// The current gateway connection's outbox.
    gateway: Option<mpsc::UnboundedSender<Value>>,
    sequence: u64,
    ready: bool,
    /// The bot role's permissions, when not [`BOT_PERMISSIONS`].
    bot_permissions: Option<u64>,
    /// How long attachment downloads take (a slow CDN).
    attachment_delay: Duration,
    /// Calls to refuse: (method, path suffix, status line, how many more times).
    refusals: Vec<(String, String, &'static str, usize)>,
    /// Every channel's messages as Discord keeps them (REST shape), by id: the bot's posts and
    /// what people wrote, whether or not a bot was connected to hear it.
    history: BTreeMap<u64, BTreeMap<u64, Value>>,
    /// Threads the bot opened (id, parent) and DM channels people wrote in.
    threads: Vec<(u64, u64)>,
    dms: HashMap<u64, Value>,
    /// People seen writing, with their roles (for member look-ups).
    members: HashMap<u64, Vec<u64>>,
    /// Gateway sessions started (READY sent).
    sessions: usize,
}

#[derive(Clone)]
pub struct FakeDiscord {
    pub api_url: String,
    ws_url: String,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    ids: Arc<AtomicU64>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeDiscord {
            api_url: format!("http://{}", http.local_addr().unwrap()),
            ws_url: format!("ws://{}", ws.local_addr().unwrap()),
            state: Arc::default(),
            changed: Arc::new(Notify::new()),
            // Snowflakes of 2026-11-23T15:00:00Z (the tests' PORTBOT_NOW), as Discord makes
            // them: milliseconds since 2015 shifted left 22 bits, plus a counter.
            ids: Arc::new(AtomicU64::new(FIRST_ID)),
        };
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = http.accept().await {
                let f = f.clone();
                tokio::spawn(async move { f.serve_http(stream).await });
            }
        });
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = ws.accept().await {
                let f = f.clone();
                tokio::spawn(async move { f.serve_gateway(stream).await });
            }
        });
        fake
    }

    /// Refuses the next `times` calls of `method` to a path ending in `suffix` with `status`
    /// (e.g. "500 Internal Server Error") and Discord's error body; they are recorded.
    pub fn refuse(&self, method: &str, suffix: &str, status: &'static str, times: usize) {
        self.state
            .lock()
            .unwrap()
            .refusals
            .push((method.into(), suffix.into(), status, times));
    }

    /// Gives the bot's role `permissions` instead of [`BOT_PERMISSIONS`].
    pub fn bot_permissions(&self, permissions: u64) {
        self.state.lock().unwrap().bot_permissions = Some(permissions);
    }

    /// Makes every attachment download take `delay`.
    pub fn slow_attachments(&self, delay: Duration) {
        self.state.lock().unwrap().attachment_delay = delay;
    }

    /// Whether a bot is connected to the gateway now.
    pub fn connected(&self) -> bool {
        self.state.lock().unwrap().gateway.is_some()
    }

    /// Gateway sessions started so far (READY sent).
    pub fn sessions(&self) -> usize {
        self.state.lock().unwrap().sessions
    }

    /// Waits (up to 20 s) until `n` gateway sessions have started.
    pub async fn wait_sessions(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.changed.notified();
            if self.sessions() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for gateway session {n}");
            }
        }
    }

    /// Closes the bot's gateway connection as a network failure would; the session cannot be
    /// resumed (the fake answers a resume with "invalid session"), so the bot starts a new one.
    pub fn drop_gateway(&self) {
        let mut state = self.state.lock().unwrap();
        if let Some(gateway) = state.gateway.take() {
            let _ = gateway.send(Value::Null);
        }
    }

    /// The messages Discord keeps in `channel`, oldest first.
    pub fn history(&self, channel: u64) -> Vec<Value> {
        self.state
            .lock()
            .unwrap()
            .history
            .get(&channel)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::SeqCst)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Waits (up to 20 s) until `check` finds what it wants in the calls.
    pub async fn wait_for<T>(&self, what: &str, check: impl Fn(&[Call]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.changed.notified();
            if let Some(found) = check(&self.state.lock().unwrap().calls) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let calls: Vec<String> = self
                    .calls()
                    .iter()
                    .map(|c| format!("{} {} {}", c.method, c.path, c.json))
                    .collect();
                panic!("timed out waiting for {what}; calls:\n{}", calls.join("\n"));
            }
        }
    }

    /// Waits until the bot is connected and has registered its commands; returns the number of
    /// calls so far (later checks look past it).
    pub async fn wait_ready(&self, since: usize) -> usize {
        self.wait_for("the command registration", |calls| {
            calls[since..]
                .iter()
                .position(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        })
        .await;
        self.calls().len()
    }

    /// A file the fake serves, as Discord's CDN does for attachments.
    pub fn attachment(&self, file_name: &str, bytes: Vec<u8>) -> Value {
        let id = self.id();
        let path = format!("/attachments/{INTAKE}/{id}/{file_name}");
        let size = bytes.len();
        self.state
            .lock()
            .unwrap()
            .attachments
            .insert(path.clone(), bytes);
        json!({
            "id": id.to_string(),
            "filename": file_name,
            "size": size,
            "url": format!("{}{path}", self.api_url),
            "proxy_url": format!("{}{path}", self.api_url),
            "content_type": "application/pdf",
        })
    }

    /// Sends a gateway dispatch to the connected bot.
    pub fn dispatch(&self, event: &str, data: Value) {
        let mut state = self.state.lock().unwrap();
        if event == "MESSAGE_CREATE" {
            state.remember(&data);
            state.sequence += 1;
            let payload = json!({ "op": 0, "t": event, "s": state.sequence, "d": data });
            // With nobody connected (or a connection going down), Discord keeps the message
            // and never replays it.
            if let Some(gateway) = &state.gateway {
                let _ = gateway.send(payload);
            }
            return;
        }
        state.sequence += 1;
        let payload = json!({ "op": 0, "t": event, "s": state.sequence, "d": data });
        state
            .gateway
            .as_ref()
            .expect("the bot is connected")
            .send(payload)
            .expect("gateway open");
    }

    /// A message from `user` in `channel` (a guild channel when `roles` is Some).
    pub fn message(
        &self,
        user: &User,
        channel: u64,
        content: &str,
        attachments: Vec<Value>,
    ) -> u64 {
        let data = self.message_json(user, channel, content, attachments);
        let id = data["id"].as_str().unwrap().parse().unwrap();
        self.dispatch("MESSAGE_CREATE", data);
        id
    }

    /// A message as Discord describes it, with a new id; not sent anywhere.
    pub fn message_json(
        &self,
        user: &User,
        channel: u64,
        content: &str,
        attachments: Vec<Value>,
    ) -> Value {
        let id = self.id();
        let mut data = json!({
            "id": id.to_string(),
            "channel_id": channel.to_string(),
            "author": user.json(),
            "content": content,
            "timestamp": "2026-11-23T15:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": [],
            "pinned": false,
            "type": 0,
        });
        if let Some(roles) = &user.roles {
            data["guild_id"] = json!(GUILD.to_string());
            data["member"] = json!({
                "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "joined_at": "2026-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
            });
        }
        data
    }

    /// The message context-menu command `name` on `message`, used by `user` in its channel.
    pub fn context_menu(&self, user: &User, name: &str, message: &Value) -> String {
        let channel: u64 = message["channel_id"].as_str().unwrap().parse().unwrap();
        let target = message["id"].as_str().unwrap().to_string();
        let data = json!({
            "id": self.id().to_string(),
            "name": name,
            "type": 3,
            "guild_id": GUILD.to_string(),
            "target_id": target,
            "resolved": { "messages": { target.clone(): message } },
        });
        let interaction = self.interaction(2, user, channel, data);
        let token = interaction["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    fn interaction(&self, kind: u8, user: &User, channel: u64, data: Value) -> Value {
        let id = self.id();
        let mut interaction = json!({
            "id": id.to_string(),
            "application_id": APPLICATION.to_string(),
            "type": kind,
            "data": data,
            "channel_id": channel.to_string(),
            "token": format!("token-{id}"),
            "version": 1,
            "app_permissions": "0",
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": { "0": GUILD.to_string() },
            "context": 0,
            "attachment_size_limit": 10_485_760,
        });
        match &user.roles {
            Some(roles) => {
                interaction["guild_id"] = json!(GUILD.to_string());
                interaction["guild_locale"] = json!("en-US");
                interaction["member"] = json!({
                    "user": user.json(),
                    "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                    "joined_at": "2026-01-01T00:00:00.000000+00:00",
                    "deaf": false,
                    "mute": false,
                    "flags": 0,
                    "permissions": "0",
                });
            }
            None => interaction["user"] = user.json(),
        }
        interaction
    }

    /// A slash command: `name` with one subcommand and its options (`[{name, type, value}]`).
    pub fn slash(
        &self,
        user: &User,
        channel: u64,
        name: &str,
        sub: &str,
        options: Value,
    ) -> String {
        let data = json!({
            "id": self.id().to_string(),
            "name": name,
            "type": 1,
            "guild_id": GUILD.to_string(),
            "options": [{ "name": sub, "type": 1, "options": options }],
        });
        let interaction = self.interaction(2, user, channel, data);
        let token = interaction["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    /// `/port start user:@member` as `agent`.
    pub fn start_for(&self, agent: &User, member: &User) -> String {
        let data = json!({
            "id": self.id().to_string(),
            "name": "port",
            "type": 1,
            "guild_id": GUILD.to_string(),
            "options": [{ "name": "start", "type": 1, "options": [
                { "name": "user", "type": 6, "value": member.id.to_string() }
            ]}],
            "resolved": { "users": { member.id.to_string(): member.json() } },
        });
        let interaction = self.interaction(2, agent, AGENT_CHANNEL, data);
        let token = interaction["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    /// A press on the button `custom_id` of a message the bot posted.
    pub fn press(&self, user: &User, message: &Value, custom_id: &str) -> String {
        let channel: u64 = message["channel_id"].as_str().unwrap().parse().unwrap();
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        let mut interaction = self.interaction(3, user, channel, data);
        interaction["message"] = message.clone();
        let token = interaction["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    /// A choice in the select menu `custom_id` of a message the bot posted.
    pub fn select(&self, user: &User, message: &Value, custom_id: &str, value: &str) -> String {
        let channel: u64 = message["channel_id"].as_str().unwrap().parse().unwrap();
        let data = json!({ "custom_id": custom_id, "component_type": 3, "values": [value] });
        let mut interaction = self.interaction(3, user, channel, data);
        interaction["message"] = message.clone();
        let token = interaction["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    /// A modal submitted with one text input.
    pub fn submit_modal(&self, user: &User, channel: u64, custom_id: &str, value: &str) -> String {
        let data = json!({
            "custom_id": custom_id,
            "components": [{ "type": 1, "components": [
                { "type": 4, "custom_id": "answer", "value": value }
            ]}],
        });
        let interaction = self.interaction(5, user, channel, data);
        let token = interaction["token"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        token
    }

    async fn serve_gateway(&self, stream: TcpStream) {
        let (tx, rx) = mpsc::unbounded_channel::<Value>();
        self.gateway_session(stream, tx.clone(), rx).await;
        // The connection is gone: events from now on find nobody listening.
        let mut state = self.state.lock().unwrap();
        if state.gateway.as_ref().is_some_and(|g| g.same_channel(&tx)) {
            state.gateway = None;
        }
    }

    /// One gateway connection: hello, heartbeats, IDENTIFY answered with READY (a new
    /// session), RESUME answered with "invalid session" (nothing is replayed), and the
    /// dispatches a test sends; a `null` from the test closes the connection.
    async fn gateway_session(
        &self,
        stream: TcpStream,
        tx: mpsc::UnboundedSender<Value>,
        mut rx: mpsc::UnboundedReceiver<Value>,
    ) {
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let hello = json!({ "op": 10, "d": { "heartbeat_interval": 41250 } });
        if ws.send(WsMessage::Text(hello.to_string())).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                incoming = ws.next() => {
                    let Some(Ok(message)) = incoming else { return };
                    let WsMessage::Text(text) = message else { continue };
                    let payload: Value = serde_json::from_str(&text).unwrap();
                    match payload["op"].as_u64() {
                        Some(1) => {
                            let ack = json!({ "op": 11 });
                            if ws.send(WsMessage::Text(ack.to_string())).await.is_err() { return; }
                        }
                        Some(2) => {
                            let ready = {
                                let mut state = self.state.lock().unwrap();
                                state.gateway = Some(tx.clone());
                                state.sequence += 1;
                                state.ready = true;
                                json!({ "op": 0, "t": "READY", "s": state.sequence, "d": {
                                    "v": 10,
                                    "user": bot_user(),
                                    "guilds": [{ "id": GUILD.to_string(), "unavailable": true }],
                                    "session_id": format!("session-{}", self.id()),
                                    "resume_gateway_url": self.ws_url,
                                    "shard": [0, 1],
                                    "application": { "id": APPLICATION.to_string(), "flags": 0 },
                                }})
                            };
                            if ws.send(WsMessage::Text(ready.to_string())).await.is_err() { return; }
                            self.state.lock().unwrap().sessions += 1;
                            self.changed.notify_waiters();
                        }
                        Some(6) => {
                            // The session is not known any more: identify again.
                            let invalid = json!({ "op": 9, "d": false });
                            if ws.send(WsMessage::Text(invalid.to_string())).await.is_err() { return; }
                        }
                        _ => {}
                    }
                }
                outgoing = rx.recv() => {
                    let Some(payload) = outgoing else { return };
                    if payload.is_null() {
                        // Gone without a word, as a dropped connection is.
                        return;
                    }
                    if ws.send(WsMessage::Text(payload.to_string())).await.is_err() { return; }
                }
            }
        }
    }

    async fn serve_http(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let target = parts.next().unwrap_or_default().to_string();
            let mut headers = HashMap::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).await.unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
                }
            }
            let mut body = Vec::new();
            if let Some(length) = headers.get("content-length") {
                body.resize(length.parse().unwrap(), 0);
                reader.read_exact(&mut body).await.unwrap();
            } else if headers
                .get("transfer-encoding")
                .is_some_and(|t| t.contains("chunked"))
            {
                loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).await.unwrap();
                    let size = usize::from_str_radix(size.trim(), 16).unwrap();
                    let mut chunk = vec![0; size + 2];
                    reader.read_exact(&mut chunk).await.unwrap();
                    if size == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..size]);
                }
            }
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let (path, query) = (path.to_string(), query.to_string());
            let content_type = headers.get("content-type").cloned().unwrap_or_default();
            if path.starts_with("/attachments/") {
                let delay = self.state.lock().unwrap().attachment_delay;
                tokio::time::sleep(delay).await;
            }
            let (status, response) = self.route(&method, &path, &query, &content_type, &body);
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
                if path.starts_with("/attachments/") {
                    "application/octet-stream"
                } else {
                    "application/json"
                },
                response.len()
            );
            let stream = reader.get_mut();
            if stream.write_all(head.as_bytes()).await.is_err()
                || stream.write_all(&response).await.is_err()
            {
                return;
            }
        }
    }

    fn route(
        &self,
        method: &str,
        path: &str,
        query: &str,
        content_type: &str,
        body: &[u8],
    ) -> (&'static str, Vec<u8>) {
        let attachment = self.state.lock().unwrap().attachments.get(path).cloned();
        if let Some(bytes) = attachment {
            self.record(method, path, "", Value::Null, Vec::new(), Value::Null);
            return ("200 OK", bytes);
        }
        let (json_body, files) = parse_body(content_type, body);
        let refused = {
            let mut state = self.state.lock().unwrap();
            let refusal = state.refusals.iter_mut().find(|(m, suffix, _, times)| {
                m == method && path.ends_with(suffix.as_str()) && *times > 0
            });
            refusal.map(|(_, _, status, times)| {
                *times -= 1;
                *status
            })
        };
        if let Some(status) = refused {
            self.record(method, path, content_type, json_body, files, Value::Null);
            let body = json!({ "message": format!("Refused by the test: {status}"), "code": 0 });
            return (status, body.to_string().into_bytes());
        }
        let api = path.strip_prefix("/api/v10").unwrap_or(path);
        let segments: Vec<&str> = api.trim_matches('/').split('/').collect();
        let response = match (method, segments.as_slice()) {
            ("GET", ["gateway"]) => Some(json!({ "url": self.ws_url })),
            ("GET", ["users", "@me"]) => Some(bot_user()),
            ("GET", ["guilds", _, "roles"]) => {
                let bot = self.state.lock().unwrap().bot_permissions;
                let mut bot_role = role(BOT_ROLE, "portbot");
                bot_role["permissions"] = json!(bot.unwrap_or(BOT_PERMISSIONS).to_string());
                Some(json!([
                    role(GUILD, "@everyone"),
                    role(AGENT_ROLE, "Porting agents"),
                    bot_role,
                ]))
            }
            ("GET", ["guilds", _, "members", id]) if *id == BOT.to_string() => Some(json!({
                "user": bot_user(),
                "roles": [BOT_ROLE.to_string()],
                "joined_at": "2026-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
            })),
            ("GET", ["channels", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let state = self.state.lock().unwrap();
                if id == INTAKE || id == AGENT_CHANNEL {
                    Some(channel(id, 0, None))
                } else if let Some((_, parent)) = state.threads.iter().find(|(t, _)| *t == id) {
                    Some(channel(id, 12, Some(*parent)))
                } else {
                    state.dms.get(&id).map(|person| dm_channel(id, person))
                }
            }
            ("GET", ["channels", id, "messages"]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let param = |name: &str| {
                    query
                        .split('&')
                        .find_map(|p| p.strip_prefix(&format!("{name}=")))
                        .and_then(|v| v.parse::<u64>().ok())
                };
                let after = param("after").unwrap_or(0);
                let limit = param("limit").unwrap_or(50) as usize;
                let state = self.state.lock().unwrap();
                // Discord's answer: the `limit` messages right after `after`, newest first.
                let mut page: Vec<Value> = state
                    .history
                    .get(&id)
                    .map(|m| {
                        m.range(after + 1..)
                            .take(limit)
                            .map(|(_, v)| v.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                page.reverse();
                Some(Value::Array(page))
            }
            ("GET", ["guilds", _, "members", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let roles = self.state.lock().unwrap().members.get(&id).cloned();
                roles.map(|roles| {
                    json!({
                        "user": User { id, name: format!("user-{id}"), roles: None }.json(),
                        "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                        "joined_at": "2026-01-01T00:00:00.000000+00:00",
                        "deaf": false,
                        "mute": false,
                        "flags": 0,
                    })
                })
            }
            ("PUT", ["applications", _, "guilds", _, "commands"]) => {
                // Discord answers with the commands as registered: ids, a version, and an
                // empty description for context-menu commands.
                let mut commands = json_body.clone();
                for command in commands.as_array_mut().into_iter().flatten() {
                    command["id"] = json!(self.id().to_string());
                    command["application_id"] = json!(APPLICATION.to_string());
                    command["guild_id"] = json!(GUILD.to_string());
                    command["version"] = json!(self.id().to_string());
                    command["default_member_permissions"] = Value::Null;
                    if command.get("type").is_none() {
                        command["type"] = json!(1);
                    }
                    if command.get("description").is_none() {
                        command["description"] = json!("");
                    }
                }
                Some(commands)
            }
            ("DELETE", ["channels", id]) => {
                let id: u64 = id.parse().unwrap();
                Some(channel(id, 12, Some(INTAKE)))
            }
            ("POST", ["channels", parent, "threads"]) => {
                let parent: u64 = parent.parse().unwrap();
                let id = self.id();
                self.state.lock().unwrap().threads.push((id, parent));
                Some(channel(id, 12, Some(parent)))
            }
            ("DELETE", ["channels", channel, "messages", message]) => {
                let (channel, message) =
                    (channel.parse().unwrap_or(0), message.parse().unwrap_or(0));
                if let Some(messages) = self.state.lock().unwrap().history.get_mut(&channel) {
                    messages.remove(&message);
                }
                None
            }
            ("POST", ["channels", channel_id, "messages"]) => {
                Some(self.store_message(channel_id, &json_body, &files))
            }
            ("POST", ["webhooks", _, _]) => {
                Some(self.store_message(&INTAKE.to_string(), &json_body, &files))
            }
            ("PATCH", ["webhooks", _, _, "messages", _]) => {
                Some(self.store_message(&INTAKE.to_string(), &json_body, &files))
            }
            ("PUT", ["channels", _, "thread-members", _])
            | ("POST", ["interactions", _, _, "callback"]) => None,
            _ => {
                self.record(method, path, content_type, json_body, files, Value::Null);
                return (
                    "404 Not Found",
                    br#"{"message": "Unknown route", "code": 0}"#.to_vec(),
                );
            }
        };
        self.record(
            method,
            path,
            content_type,
            json_body,
            files,
            response.clone().unwrap_or(Value::Null),
        );
        match response {
            Some(value) => ("200 OK", value.to_string().into_bytes()),
            None => ("204 No Content", Vec::new()),
        }
    }

    fn record(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        json: Value,
        files: Vec<(String, Vec<u8>)>,
        response: Value,
    ) {
        self.state.lock().unwrap().calls.push(Call {
            method: method.into(),
            path: path.into(),
            content_type: content_type.into(),
            json,
            files,
            response,
        });
        self.changed.notify_waiters();
    }

    fn store_message(&self, channel_id: &str, body: &Value, files: &[(String, Vec<u8>)]) -> Value {
        let id = self.id();
        let attachments: Vec<Value> = files
            .iter()
            .map(|(name, bytes)| {
                json!({
                    "id": self.id().to_string(), "filename": name, "size": bytes.len(),
                    "url": format!("{}/attachments/{id}/{name}", self.api_url),
                    "proxy_url": format!("{}/attachments/{id}/{name}", self.api_url),
                })
            })
            .collect();
        let message = json!({
            "id": id.to_string(),
            "channel_id": channel_id,
            "author": bot_user(),
            "content": body["content"].as_str().unwrap_or_default(),
            "timestamp": "2026-11-23T15:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
            "components": body.get("components").cloned().unwrap_or(json!([])),
            "pinned": false,
            "type": 0,
        });
        let mut state = self.state.lock().unwrap();
        state.messages.insert(id, message.clone());
        state.remember(&message);
        message
    }
}

impl State {
    /// Keeps a message in its channel's history, as a REST read returns it (no guild id, no
    /// member), and who wrote it where.
    fn remember(&mut self, message: &Value) {
        let channel: u64 = message["channel_id"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let id: u64 = message["id"].as_str().unwrap_or("0").parse().unwrap_or(0);
        let author: u64 = message["author"]["id"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let mut kept = message.clone();
        if let Some(fields) = kept.as_object_mut() {
            fields.remove("guild_id");
            fields.remove("member");
        }
        match message.get("member") {
            Some(member) => {
                let roles = member["roles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_str()?.parse().ok())
                    .collect();
                self.members.insert(author, roles);
            }
            None if message["author"]["bot"] != true => {
                self.dms.insert(channel, message["author"].clone());
            }
            None => {}
        }
        self.history.entry(channel).or_default().insert(id, kept);
    }
}

/// A person on the fake server; `roles` is None for someone writing in a DM.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub roles: Option<Vec<u64>>,
}

impl User {
    pub fn customer(id: u64, name: &str) -> User {
        User {
            id,
            name: name.into(),
            roles: Some(Vec::new()),
        }
    }

    pub fn agent(id: u64, name: &str) -> User {
        User {
            id,
            name: name.into(),
            roles: Some(vec![AGENT_ROLE]),
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": null,
        })
    }
}

fn bot_user() -> Value {
    json!({
        "id": BOT.to_string(),
        "username": "portbot",
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
        "verified": true,
        "mfa_enabled": false,
        "flags": 0,
    })
}

fn role(id: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(), "name": name, "color": 0, "hoist": false, "icon": null,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "unicode_emoji": null, "position": 0, "permissions": "0", "managed": false,
        "mentionable": false, "flags": 0,
    })
}

fn channel(id: u64, kind: u8, parent: Option<u64>) -> Value {
    let mut value = json!({
        "id": id.to_string(),
        "type": kind,
        "guild_id": GUILD.to_string(),
        "name": format!("channel-{id}"),
        "position": 0,
        "permission_overwrites": [],
        "nsfw": false,
    });
    if let Some(parent) = parent {
        value["parent_id"] = json!(parent.to_string());
        value["owner_id"] = json!(BOT.to_string());
        value["thread_metadata"] = json!({
            "archived": false, "auto_archive_duration": 1440,
            "archive_timestamp": "2026-11-23T15:00:00.000000+00:00", "locked": false,
            "invitable": false,
        });
    }
    value
}

fn dm_channel(id: u64, person: &Value) -> Value {
    json!({
        "id": id.to_string(),
        "type": 1,
        "last_message_id": null,
        "recipients": [person],
    })
}

/// A JSON body, or a multipart one (`payload_json` and `files[n]` parts).
fn parse_body(content_type: &str, body: &[u8]) -> (Value, Vec<(String, Vec<u8>)>) {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return (
            serde_json::from_slice(body).unwrap_or(Value::Null),
            Vec::new(),
        );
    };
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let mut json = Value::Null;
    let mut files = Vec::new();
    for part in split_bytes(body, delimiter.as_bytes()).into_iter().skip(1) {
        let Some(end) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..end]).to_string();
        let mut content = &part[end + 4..];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let field = |name: &str| {
            head.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_string)
        };
        if field("name").as_deref() == Some("payload_json") {
            json = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else if let Some(file_name) = field("filename") {
            files.push((file_name, content.to_vec()));
        }
    }
    (json, files)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut data: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find(data, delimiter) {
        parts.push(&data[..at]);
        data = &data[at + delimiter.len()..];
    }
    parts.push(data);
    parts
}
