//! The use cases of liancha. Each takes a [`Context`] (who acts, and when), checks
//! the permission, applies the domain's rules and runs one unit of work in the store,
//! which writes its audit entry in the same transaction. The web handlers and the CLI
//! parse input, call a use case and present its answer; they decide nothing.
//!
//! The county a use case acts in will join the context with the county scope. Moved
//! here so far: the review area (results, return, approval, publication) and the
//! task's actions before the visits (seal, witnesses, draw, substitution, cancel),
//! and follow-up work and credit decisions after publication.

mod error;
pub mod follow_up;
pub mod review;
pub mod tasks;

use chrono::{DateTime, Utc};
use liancha_domain::auth::{Action, Principal};
use liancha_store::Store;
use liancha_store::accounts::Actor;

pub use error::{AppError, Result};

/// The application: the use cases over one store.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
}

impl App {
    pub fn new(store: Store) -> Self {
        App { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Who acts and when: every use case's first argument.
#[derive(Debug, Clone)]
pub struct Context {
    pub principal: Principal,
    pub now: DateTime<Utc>,
}

impl Context {
    pub fn new(principal: Principal, now: DateTime<Utc>) -> Self {
        Context { principal, now }
    }

    pub fn actor(&self) -> Actor {
        (&self.principal).into()
    }

    pub fn may(&self, action: &Action<'_>) -> bool {
        self.principal.may(action)
    }

    /// Refuses an irreversible step the clerk has not confirmed (the form's `confirm`
    /// box, which says what cannot be undone). Checked after the permission, so that
    /// a role without it is told so first.
    pub fn require_confirmed(&self, confirmed: bool, what: &str) -> Result<()> {
        if confirmed {
            Ok(())
        } else {
            Err(AppError::invalid_field(
                "confirm",
                format!("请勾选确认：{what}"),
            ))
        }
    }

    /// Refuses unless the principal's role allows `action`.
    pub fn require(&self, action: &Action<'_>) -> Result<()> {
        if self.may(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}
