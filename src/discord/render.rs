//! Turning the engine's replies into Discord messages within Discord's limits, and the
//! `custom_id`s that let any process handle a button press later (no in-memory collectors).

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateInputText, CreateMessage, CreateModal, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption, InputTextStyle, RoleId, UserId,
};

use super::words::Words;
use crate::conversation::Reply;
use crate::conversation::script::Script;

/// Discord's limits (https://discord.com/developers/docs/resources/message, .../interactions).
pub const MAX_CONTENT: usize = 2000;
pub const MAX_EMBED_DESCRIPTION: usize = 4096;
pub const MAX_BUTTON_LABEL: usize = 80;
pub const MAX_OPTIONS: usize = 25;
pub const MAX_CUSTOM_ID: usize = 100;
/// Choice buttons fill at most four rows of five; the fifth row holds Back, Help, agent.
const MAX_CHOICE_BUTTONS: usize = 20;

/// What a button or select does, named in its `custom_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer with choice number `n` (its label is read back from the pressed message).
    Choice(usize),
    /// The select menu of choices: the answer is the selected value.
    Pick,
    Back,
    Help,
    Agent,
    /// Open the modal for a secret answer or the signature.
    Modal,
    /// The summary's "Change an answer" menu: the selected value names the step to change.
    Edit,
}

/// A `custom_id`: `pb:<conversation>:<step or ->:<action>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentId {
    pub conversation: i64,
    pub step: Option<String>,
    pub action: Action,
}

impl ComponentId {
    pub fn encode(&self) -> String {
        let action = match &self.action {
            Action::Choice(n) => format!("c{n}"),
            Action::Pick => "pick".into(),
            Action::Back => "back".into(),
            Action::Help => "help".into(),
            Action::Agent => "agent".into(),
            Action::Modal => "modal".into(),
            Action::Edit => "edit".into(),
        };
        let id = format!(
            "pb:{}:{}:{action}",
            self.conversation,
            self.step.as_deref().unwrap_or("-")
        );
        debug_assert!(id.len() <= MAX_CUSTOM_ID);
        id
    }

    pub fn decode(id: &str) -> Option<ComponentId> {
        let mut parts = id.split(':');
        if parts.next()? != "pb" {
            return None;
        }
        let conversation = parts.next()?.parse().ok()?;
        let step = match parts.next()? {
            "-" => None,
            s => Some(s.to_string()),
        };
        let action = match parts.next()? {
            "pick" => Action::Pick,
            "back" => Action::Back,
            "help" => Action::Help,
            "agent" => Action::Agent,
            "modal" => Action::Modal,
            "edit" => Action::Edit,
            c => Action::Choice(c.strip_prefix('c')?.parse().ok()?),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(ComponentId {
            conversation,
            step,
            action,
        })
    }
}

/// Pings nobody: the default for everything the bot posts, so that whatever text reaches
/// Discord (an answer echoed back, a business name in a hand-off) cannot ping `@everyone`, a
/// role or a member.
pub fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// In a customer's thread, the customer alone may be pinged.
pub fn customer_pings(customer: &str) -> CreateAllowedMentions {
    let users = customer.parse::<u64>().ok().filter(|&id| id != 0);
    CreateAllowedMentions::new().users(users.map(UserId::new))
}

/// In the agent channel, the agent role alone may be pinged (when the words mention it).
pub fn agent_pings(role: RoleId) -> CreateAllowedMentions {
    CreateAllowedMentions::new().roles([role])
}

/// Customer text made inert before the bot posts it: `@everyone` and `@here`, Discord's mention
/// syntax (`<@id>`, `<@&id>`, `<#id>`, `</command:id>`) and masked links (`[text](url)`, which
/// hide where a link goes) get a zero-width space that breaks them and reads the same. Pings are
/// already off (`no_pings`); this keeps echoed text from looking like a ping or a trusted link.
/// An email address keeps its `@`.
pub fn inert(text: &str) -> String {
    const BREAK: char = '\u{200B}';
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        out.push(c);
        let rest = &text[at + c.len_utf8()..];
        let breaks = match c {
            '@' => {
                !previous.is_some_and(char::is_alphanumeric)
                    && (rest.starts_with("everyone") || rest.starts_with("here"))
            }
            '<' => rest.starts_with(['@', '#', '/']),
            ']' => rest.starts_with('('),
            _ => false,
        };
        if breaks {
            out.push(BREAK);
        }
        previous = Some(c);
    }
    out
}

/// Splits text into pieces of at most `limit` characters, at a line break or else a space when
/// there is one in the second half of the piece.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: &str = text;
    while rest.chars().count() > limit {
        let hard = rest
            .char_indices()
            .nth(limit)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let window = &rest[..hard];
        let cut = window
            .rfind('\n')
            .filter(|&i| i >= hard / 2)
            .or_else(|| window.rfind(' ').filter(|&i| i >= hard / 2))
            .unwrap_or(hard);
        pieces.push(window[..cut].to_string());
        rest = rest[cut..].trim_start_matches(['\n', ' ']);
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}

/// Steps whose answer is typed in a modal: the secrets, and the signature.
pub fn modal_step(prompts: &Script, step: &str) -> bool {
    step == "signature" || prompts.step(step).is_some_and(|s| s.secret)
}

/// The messages for one turn's replies in conversation `conversation`. The question a reply
/// asks gets its choices as buttons (or a select when there are many), and Back, Help and
/// "Talk to an agent"; the summary goes in an embed, with a "Change an answer" menu of
/// `editable` answers (step, label).
pub fn messages(
    replies: &[Reply],
    conversation: i64,
    prompts: &Script,
    words: &Words,
    editable: &[(String, String)],
) -> Vec<CreateMessage> {
    let mut out = Vec::new();
    for reply in replies {
        // The engine's words hold no Discord syntax: any in a reply came from the customer.
        let text = inert(&reply.text);
        let mut components = components(reply, conversation, prompts, words);
        if reply.step.as_deref() == Some("summary") && !editable.is_empty() {
            let id = ComponentId {
                conversation,
                step: reply.step.clone(),
                action: Action::Edit,
            };
            // Above Back, Help and "Talk to an agent", below Confirm.
            let at = components.len().saturating_sub(1);
            components.insert(at, edit_menu(&id, editable, words));
        }
        if reply.step.as_deref() == Some("summary") && text.chars().count() <= MAX_EMBED_DESCRIPTION
        {
            let embed = CreateEmbed::new().description(&text);
            out.push(CreateMessage::new().embed(embed).components(components));
            continue;
        }
        let pieces = split(&text, MAX_CONTENT);
        let last = pieces.len() - 1;
        for (i, piece) in pieces.into_iter().enumerate() {
            let mut message = CreateMessage::new().content(piece);
            if i == last && !components.is_empty() {
                message = message.components(components.clone());
            }
            out.push(message);
        }
    }
    out
}

/// The summary's select menu of answers to change; its values are step names.
fn edit_menu(id: &ComponentId, editable: &[(String, String)], words: &Words) -> CreateActionRow {
    let options = editable
        .iter()
        .take(MAX_OPTIONS)
        .map(|(step, label)| CreateSelectMenuOption::new(truncate(label, 100), step.as_str()))
        .collect();
    CreateActionRow::SelectMenu(
        CreateSelectMenu::new(id.encode(), CreateSelectMenuKind::String { options })
            .placeholder(truncate(&words.buttons.edit, 150)),
    )
}

fn components(
    reply: &Reply,
    conversation: i64,
    prompts: &Script,
    words: &Words,
) -> Vec<CreateActionRow> {
    let id = |action| {
        ComponentId {
            conversation,
            step: reply.step.clone(),
            action,
        }
        .encode()
    };
    let mut rows = Vec::new();
    if reply.choices.len() > MAX_CHOICE_BUTTONS {
        let options = reply
            .choices
            .iter()
            .take(MAX_OPTIONS)
            .map(|c| CreateSelectMenuOption::new(truncate(c, 100), truncate(c, 100)))
            .collect();
        rows.push(CreateActionRow::SelectMenu(
            CreateSelectMenu::new(id(Action::Pick), CreateSelectMenuKind::String { options })
                .placeholder(truncate(&words.buttons.choose, 150)),
        ));
    } else {
        let buttons: Vec<CreateButton> = reply
            .choices
            .iter()
            .enumerate()
            .map(|(n, c)| {
                CreateButton::new(id(Action::Choice(n)))
                    .label(truncate(c, MAX_BUTTON_LABEL))
                    .style(ButtonStyle::Primary)
            })
            .collect();
        rows.extend(
            buttons
                .chunks(5)
                .map(|row| CreateActionRow::Buttons(row.to_vec())),
        );
    }
    if let Some(step) = reply.step.as_deref() {
        let mut nav = Vec::new();
        if modal_step(prompts, step) {
            let label = if step == "signature" {
                &words.buttons.sign
            } else {
                &words.buttons.private
            };
            nav.push(
                CreateButton::new(id(Action::Modal))
                    .label(label)
                    .style(ButtonStyle::Success),
            );
        }
        for (action, label) in [
            (Action::Back, &words.buttons.back),
            (Action::Help, &words.buttons.help),
            (Action::Agent, &words.buttons.agent),
        ] {
            nav.push(
                CreateButton::new(id(action))
                    .label(label)
                    .style(ButtonStyle::Secondary),
            );
        }
        rows.push(CreateActionRow::Buttons(nav));
    }
    rows
}

/// The modal for a secret answer or the signature: one short text input.
pub fn modal(id: &ComponentId, words: &Words) -> CreateModal {
    let step = id.step.as_deref().unwrap_or_default();
    let (title, label) = match step {
        "signature" => (&words.modals.signature_title, &words.modals.signature_label),
        "account_number" => (
            &words.modals.account_number_title,
            &words.modals.secret_label,
        ),
        "mobile_pin" => (&words.modals.mobile_pin_title, &words.modals.secret_label),
        _ => (&words.modals.pin_title, &words.modals.secret_label),
    };
    CreateModal::new(id.encode(), title).components(vec![CreateActionRow::InputText(
        CreateInputText::new(InputTextStyle::Short, label, "answer").max_length(200),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_id_names_conversation_step_and_action_and_reads_back() {
        for action in [
            Action::Choice(3),
            Action::Pick,
            Action::Back,
            Action::Help,
            Action::Agent,
            Action::Modal,
            Action::Edit,
        ] {
            let id = ComponentId {
                conversation: 42,
                step: Some("service_address".into()),
                action,
            };
            assert_eq!(ComponentId::decode(&id.encode()), Some(id));
        }
        let menu = ComponentId {
            conversation: 7,
            step: None,
            action: Action::Choice(0),
        };
        assert_eq!(menu.encode(), "pb:7:-:c0");
        assert_eq!(ComponentId::decode("pb:7:-:c0"), Some(menu));
    }

    #[test]
    fn foreign_component_ids_are_not_ours() {
        assert_eq!(ComponentId::decode("other:1:x:c0"), None);
        assert_eq!(ComponentId::decode("pb:x:step:c0"), None);
        assert_eq!(ComponentId::decode("pb:1:step:zap"), None);
        assert_eq!(ComponentId::decode("pb:1:step:c0:extra"), None);
    }

    #[test]
    fn mentions_and_masked_links_in_customer_text_are_broken_and_emails_are_not() {
        let text = "@everyone @here <@1> <@&2> <#3> </port open:4> [portal](https://x.example)";
        let broken = inert(text);
        for live in ["@everyone", "@here", "<@", "<#", "</", "]("] {
            assert!(!broken.contains(live), "{live} in {broken}");
        }
        assert_eq!(broken.replace('\u{200B}', ""), text);
        assert_eq!(inert("zoe@here.example"), "zoe@here.example");
    }

    #[test]
    fn long_text_is_split_under_the_limit_at_line_breaks() {
        let line = "x".repeat(900);
        let text = [line.as_str(); 5].join("\n");
        let pieces = split(&text, MAX_CONTENT);
        assert!(pieces.iter().all(|p| p.chars().count() <= MAX_CONTENT));
        // Two lines per piece; only the line breaks at the cuts are dropped.
        assert_eq!(pieces.len(), 3);
        assert!(pieces.iter().all(|p| p.split('\n').all(|l| l.len() == 900)));
        assert_eq!(pieces.join("\n"), text);
    }

    #[test]
    fn text_without_breaks_is_cut_hard_and_multibyte_text_is_never_cut_inside_a_character() {
        let text = "é".repeat(4500);
        let pieces = split(&text, MAX_CONTENT);
        assert_eq!(
            pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [2000, 2000, 500]
        );
        assert_eq!(split("short", MAX_CONTENT), ["short"]);
    }
}
