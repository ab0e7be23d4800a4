//! A port ticket's life: its statuses, which moves between them are allowed, and the carriers'
//! rejection reasons with the fields a customer fixes for each (porting rules, sections 5 and 6).

use super::Refusal;

/// Our own ranked status vocabulary; the carrier's raw status is kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    /// Handed off before the checklist was complete.
    Draft,
    /// The customer signed.
    Submitted,
    /// An agent claimed it.
    InReview,
    SentToCarrier,
    /// The carrier confirmed the port date.
    FocConfirmed,
    Completed,
    /// Rejected or incomplete: the customer must fix named fields.
    NeedsInfo,
    Cancelled,
}

impl TicketStatus {
    pub const ALL: &'static [TicketStatus] = &[
        TicketStatus::Draft,
        TicketStatus::Submitted,
        TicketStatus::InReview,
        TicketStatus::SentToCarrier,
        TicketStatus::FocConfirmed,
        TicketStatus::Completed,
        TicketStatus::NeedsInfo,
        TicketStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Draft => "draft",
            TicketStatus::Submitted => "submitted",
            TicketStatus::InReview => "in_review",
            TicketStatus::SentToCarrier => "sent_to_carrier",
            TicketStatus::FocConfirmed => "foc_confirmed",
            TicketStatus::Completed => "completed",
            TicketStatus::NeedsInfo => "needs_info",
            TicketStatus::Cancelled => "cancelled",
        }
    }

    /// The status whose [`as_str`](Self::as_str) is `text`, exactly.
    pub fn parse(text: &str) -> Option<TicketStatus> {
        TicketStatus::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == text)
    }

    /// Completed and cancelled tickets never change again.
    pub fn is_final(self) -> bool {
        matches!(self, TicketStatus::Completed | TicketStatus::Cancelled)
    }

    /// The rank on the main path, for "never backwards"; side states have none.
    fn rank(self) -> Option<u8> {
        match self {
            TicketStatus::Draft => Some(0),
            TicketStatus::Submitted => Some(1),
            TicketStatus::InReview => Some(2),
            TicketStatus::SentToCarrier => Some(3),
            TicketStatus::FocConfirmed => Some(4),
            TicketStatus::Completed => Some(5),
            TicketStatus::NeedsInfo | TicketStatus::Cancelled => None,
        }
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every code [`check_transition`] can return.
pub const REFUSAL_CODES: &[&str] = &[
    "transition.final",
    "transition.backwards",
    "transition.skips",
    "transition.same",
    "transition.not_from_needs_info",
];

/// Whether a ticket may move from `from` to `to`. The main path moves one step at a time and
/// never backwards; any open ticket can be rejected (`needs_info`) or cancelled; only a fixed
/// `needs_info` ticket goes back, to `submitted`. A refusal names both statuses.
pub fn check_transition(from: TicketStatus, to: TicketStatus) -> Result<(), Refusal> {
    let refuse = |code| {
        Refusal::new(code)
            .with("from", from.as_str())
            .with("to", to.as_str())
    };
    if from.is_final() {
        return Err(refuse("transition.final"));
    }
    if from == to {
        return Err(refuse("transition.same"));
    }
    match (from, to) {
        (_, TicketStatus::Cancelled) => Ok(()),
        (TicketStatus::Draft, TicketStatus::NeedsInfo) => Err(refuse("transition.skips")),
        (_, TicketStatus::NeedsInfo) => Ok(()),
        (TicketStatus::NeedsInfo, TicketStatus::Submitted) => Ok(()),
        (TicketStatus::NeedsInfo, _) => Err(refuse("transition.not_from_needs_info")),
        (from, to) => match (from.rank(), to.rank()) {
            (Some(a), Some(b)) if b == a + 1 => Ok(()),
            (Some(a), Some(b)) if b < a => Err(refuse("transition.backwards")),
            _ => Err(refuse("transition.skips")),
        },
    }
}

/// Why a carrier rejected a port (section 5), each with the fields the customer fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectionCode {
    AccountNumberMismatch,
    AccountNumberRequired,
    PinMismatch,
    PinRequired,
    AuthNameMismatch,
    BusinessNameMismatch,
    AddressMismatch,
    BtnMismatch,
    PartialPortNotDeclared,
    DifferentAccounts,
    PendingOrder,
    NumberInactive,
    FocRejected,
    LoaIllegible,
    LoaExpired,
}

impl RejectionCode {
    pub const ALL: &'static [RejectionCode] = &[
        RejectionCode::AccountNumberMismatch,
        RejectionCode::AccountNumberRequired,
        RejectionCode::PinMismatch,
        RejectionCode::PinRequired,
        RejectionCode::AuthNameMismatch,
        RejectionCode::BusinessNameMismatch,
        RejectionCode::AddressMismatch,
        RejectionCode::BtnMismatch,
        RejectionCode::PartialPortNotDeclared,
        RejectionCode::DifferentAccounts,
        RejectionCode::PendingOrder,
        RejectionCode::NumberInactive,
        RejectionCode::FocRejected,
        RejectionCode::LoaIllegible,
        RejectionCode::LoaExpired,
    ];

    /// The carrier-style code, e.g. `ADDRESS_MISMATCH`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionCode::AccountNumberMismatch => "ACCOUNT_NUMBER_MISMATCH",
            RejectionCode::AccountNumberRequired => "ACCOUNT_NUMBER_REQUIRED",
            RejectionCode::PinMismatch => "PIN_MISMATCH",
            RejectionCode::PinRequired => "PIN_REQUIRED",
            RejectionCode::AuthNameMismatch => "AUTH_NAME_MISMATCH",
            RejectionCode::BusinessNameMismatch => "BUSINESS_NAME_MISMATCH",
            RejectionCode::AddressMismatch => "ADDRESS_MISMATCH",
            RejectionCode::BtnMismatch => "BTN_MISMATCH",
            RejectionCode::PartialPortNotDeclared => "PARTIAL_PORT_NOT_DECLARED",
            RejectionCode::DifferentAccounts => "DIFFERENT_ACCOUNTS",
            RejectionCode::PendingOrder => "PENDING_ORDER",
            RejectionCode::NumberInactive => "NUMBER_INACTIVE",
            RejectionCode::FocRejected => "FOC_REJECTED",
            RejectionCode::LoaIllegible => "LOA_ILLEGIBLE",
            RejectionCode::LoaExpired => "LOA_EXPIRED",
        }
    }

    /// Reads a code in any case, with `-` or spaces for `_`.
    pub fn parse(text: &str) -> Option<RejectionCode> {
        let wanted = text.trim().to_ascii_uppercase().replace(['-', ' '], "_");
        RejectionCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == wanted)
    }

    /// The conversation steps the customer answers again. `business_name` stands for the
    /// customer's name on the account (the account holder for residential accounts).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            RejectionCode::AccountNumberMismatch | RejectionCode::AccountNumberRequired => {
                &["account_number"]
            }
            RejectionCode::PinMismatch | RejectionCode::PinRequired => &["pin"],
            RejectionCode::AuthNameMismatch => &["authorized_name", "authorized_title"],
            RejectionCode::BusinessNameMismatch => &["business_name"],
            RejectionCode::AddressMismatch => &["service_address"],
            RejectionCode::BtnMismatch => &["btn"],
            RejectionCode::PartialPortNotDeclared => &["partial_port", "new_btn"],
            RejectionCode::DifferentAccounts | RejectionCode::NumberInactive => {
                &["numbers", "same_bill"]
            }
            RejectionCode::PendingOrder => &["order_cleared"],
            RejectionCode::FocRejected => &["port_date"],
            RejectionCode::LoaIllegible | RejectionCode::LoaExpired => &[],
        }
    }

    /// The LOA must be signed again even if no printed field changes.
    pub fn needs_new_signature(self) -> bool {
        matches!(
            self,
            RejectionCode::LoaIllegible | RejectionCode::LoaExpired
        )
    }
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;
    use super::*;

    #[test]
    fn the_main_path_moves_one_step_at_a_time() {
        let path = [
            Draft,
            Submitted,
            InReview,
            SentToCarrier,
            FocConfirmed,
            Completed,
        ];
        for pair in path.windows(2) {
            assert_eq!(check_transition(pair[0], pair[1]), Ok(()), "{pair:?}");
        }
    }

    #[test]
    fn a_status_never_moves_backwards() {
        let refusal = check_transition(SentToCarrier, InReview).unwrap_err();
        assert_eq!(refusal.code, "transition.backwards");
        assert_eq!(refusal.arg("from"), Some("sent_to_carrier"));
        assert_eq!(refusal.arg("to"), Some("in_review"));
    }

    #[test]
    fn skipping_ahead_on_the_main_path_is_refused() {
        assert_eq!(
            check_transition(Submitted, SentToCarrier).unwrap_err().code,
            "transition.skips"
        );
        assert_eq!(
            check_transition(InReview, Completed).unwrap_err().code,
            "transition.skips"
        );
    }

    #[test]
    fn any_open_ticket_can_be_rejected_or_cancelled() {
        for from in [Submitted, InReview, SentToCarrier, FocConfirmed] {
            assert_eq!(check_transition(from, NeedsInfo), Ok(()));
            assert_eq!(check_transition(from, Cancelled), Ok(()));
        }
        assert_eq!(check_transition(NeedsInfo, Cancelled), Ok(()));
        assert_eq!(check_transition(Draft, Cancelled), Ok(()));
    }

    #[test]
    fn a_fixed_ticket_goes_back_to_submitted_and_nowhere_else() {
        assert_eq!(check_transition(NeedsInfo, Submitted), Ok(()));
        for to in [InReview, SentToCarrier, FocConfirmed, Completed, Draft] {
            assert!(check_transition(NeedsInfo, to).is_err(), "{to:?}");
        }
    }

    #[test]
    fn completed_and_cancelled_tickets_never_change() {
        for to in TicketStatus::ALL {
            assert_eq!(
                check_transition(Completed, *to).unwrap_err().code,
                "transition.final"
            );
            assert_eq!(
                check_transition(Cancelled, *to).unwrap_err().code,
                "transition.final"
            );
        }
    }

    #[test]
    fn every_status_word_parses_back() {
        for status in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(status.as_str()), Some(*status));
        }
    }

    #[test]
    fn rejection_codes_parse_in_any_case_and_name_their_fields() {
        assert_eq!(
            RejectionCode::parse("address_mismatch"),
            Some(RejectionCode::AddressMismatch)
        );
        assert_eq!(
            RejectionCode::parse("PIN-REQUIRED"),
            Some(RejectionCode::PinRequired)
        );
        assert_eq!(RejectionCode::parse("nonsense"), None);
        assert_eq!(
            RejectionCode::AddressMismatch.fields(),
            &["service_address"]
        );
        for code in RejectionCode::ALL {
            assert_eq!(RejectionCode::parse(code.as_str()), Some(*code));
        }
    }
}
