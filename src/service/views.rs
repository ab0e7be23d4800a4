//! What agents read about tickets: the lists, one ticket (or draft), its audit log, its
//! conversation, its LOA, the export, and the notifications not delivered yet. Shared by the
//! command line and Discord: each function returns typed data, and each adapter words it.

use super::{Service, ServiceError, WorkflowError};
use crate::store::{
    DocumentKind, Draft, OutboxEntry, Ticket, TicketEvent, TicketFilter, TicketStatus,
    TranscriptLine,
};

/// The tickets with a status (all without one), newest first, and the open drafts when the
/// status allows drafts.
#[derive(Debug)]
pub struct TicketList {
    pub drafts: Vec<Draft>,
    pub tickets: Vec<Ticket>,
}

/// One page of the open tickets, and whether there is a next one.
#[derive(Debug)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    pub more: bool,
}

/// A number names a ticket, or a draft an agent saved.
#[derive(Debug)]
pub enum TicketView {
    Ticket(Box<Ticket>),
    Draft(Draft),
}

/// One ticket, or the list (by status), for export. Never secrets: tickets carry none.
#[derive(Debug)]
pub enum Export {
    One(Box<Ticket>),
    List(Vec<Ticket>),
}

impl Service {
    /// Tickets (only those with `status`, when given) and the open drafts, newest first.
    pub async fn tickets(&self, status: Option<TicketStatus>) -> Result<TicketList, ServiceError> {
        let tickets = self.tickets_with(status).await?;
        let drafts = match status {
            None | Some(TicketStatus::Draft) => self.store.open_drafts().await?,
            Some(_) => Vec::new(),
        };
        Ok(TicketList { drafts, tickets })
    }

    /// Page `page` (from 1) of the tickets that can still change, `per_page` to a page.
    pub async fn open_tickets(&self, page: u32, per_page: u32) -> Result<TicketPage, ServiceError> {
        let page = page.max(1);
        // One more than a page, to know whether there is a next one.
        let mut tickets = self
            .store
            .list_tickets(&TicketFilter {
                open_only: true,
                limit: Some(per_page.saturating_add(1)),
                offset: (page - 1).saturating_mul(per_page),
                ..TicketFilter::default()
            })
            .await?;
        let more = tickets.len() > per_page as usize;
        tickets.truncate(per_page as usize);
        Ok(TicketPage { tickets, more })
    }

    /// Ticket `number` (never its PIN or account number).
    pub async fn ticket(&self, number: &str) -> Result<Ticket, WorkflowError> {
        self.store
            .ticket(number)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(number.to_string()))
    }

    /// Ticket `number`, or the draft of that number.
    pub async fn ticket_or_draft(&self, number: &str) -> Result<TicketView, WorkflowError> {
        if let Some(ticket) = self.store.ticket(number).await? {
            return Ok(TicketView::Ticket(Box::new(ticket)));
        }
        match self.store.draft(number).await? {
            Some(draft) => Ok(TicketView::Draft(draft)),
            None => Err(WorkflowError::NotFound(number.to_string())),
        }
    }

    /// The ticket's audit log, oldest first.
    pub async fn ticket_history(&self, number: &str) -> Result<Vec<TicketEvent>, WorkflowError> {
        self.ticket(number).await?;
        Ok(self.store.ticket_events(number).await?)
    }

    /// The conversation behind the ticket (secrets are never in it).
    pub async fn ticket_transcript(
        &self,
        number: &str,
    ) -> Result<Vec<TranscriptLine>, WorkflowError> {
        let ticket = self.ticket(number).await?;
        Ok(self.store.transcript(ticket.conversation_id).await?)
    }

    /// A ticket's LOA as it was given to the customer: the latest version, or `version`.
    pub async fn ticket_loa(
        &self,
        number: &str,
        version: Option<u32>,
    ) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(self
            .store
            .ticket_document(number, DocumentKind::Loa, version)
            .await?
            .map(|d| d.bytes))
    }

    /// Ticket `number`, or without one every ticket (with `status`, when given).
    pub async fn export(
        &self,
        number: Option<&str>,
        status: Option<TicketStatus>,
    ) -> Result<Export, WorkflowError> {
        Ok(match number {
            Some(number) => Export::One(Box::new(self.ticket(number).await?)),
            None => Export::List(self.tickets_with(status).await?),
        })
    }

    /// Notifications not delivered yet, oldest first; with `failed_only`, only those given up
    /// after every retry.
    pub async fn outbox(&self, failed_only: bool) -> Result<Vec<OutboxEntry>, ServiceError> {
        Ok(if failed_only {
            self.store.failed_outbox().await?
        } else {
            self.store.undelivered_outbox().await?
        })
    }

    /// Tries undelivered notification `id` again from scratch; false when there is none.
    pub async fn retry_outbox(&self, id: i64) -> Result<bool, ServiceError> {
        Ok(self.store.retry_outbox(id, self.now()).await?)
    }

    async fn tickets_with(
        &self,
        status: Option<TicketStatus>,
    ) -> Result<Vec<Ticket>, ServiceError> {
        Ok(self
            .store
            .list_tickets(&TicketFilter {
                status,
                ..TicketFilter::default()
            })
            .await?)
    }
}
