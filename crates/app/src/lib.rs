//! The use cases of liancha. Each takes a [`Context`] (who acts, and when), checks
//! the permission, applies the domain's rules and runs one unit of work in the store,
//! which writes its audit entry in the same transaction. The web handlers and the CLI
//! parse input, call a use case and present its answer; they decide nothing.
//!
//! The county a use case acts in will join the context with the county scope. Moved
//! here so far: the review area (results, return, approval, publication) and the
//! task's life from its creation to the draw (create, edit, seal, witnesses, draw,
//! substitution, cancel), annual plans, targeted inspections, conflicts of
//! interest, attachments, follow-up work and credit decisions after publication,
//! county setup and campaigns.

pub mod accounts;
pub mod audit;
pub mod campaigns;
pub mod check_in;
pub mod credit_repair;
pub mod demo;
pub mod directory;
pub mod documents;
mod error;
pub mod follow_up;
pub mod imports;
pub mod items;
pub mod oversight;
pub mod plans;
pub mod records;
pub mod review;
pub mod review_sheet;
pub mod setup;
pub mod tasks;
pub mod upward;

use chrono::{DateTime, Utc};
use liancha_domain::auth::{Action, Principal};
use liancha_domain::org::DivisionCode;
use liancha_store::accounts::Actor;
use liancha_store::{County, Store};

pub use error::{AppError, Result};

/// The application: the use cases over one store.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    /// Where the public's reads go: the store itself, or a read replica of it.
    public: Store,
}

impl App {
    pub fn new(store: Store) -> Self {
        App {
            public: store.clone(),
            store,
        }
    }

    /// The public pages and the open-data API read from `replica` (a streaming
    /// replica of the store), staff pages and every write from the store.
    pub fn with_public(mut self, replica: Store) -> Self {
        self.public = replica;
        self
    }

    /// The store the public reads: the province-wide search, published tasks and
    /// results, the directories.
    pub fn public(&self) -> &Store {
        &self.public
    }

    /// The store, for what belongs to no county: accounts, the organisation tree, the
    /// province-wide public search.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The rows of the county the context acts in: the one way a use case, and a page
    /// through it, reaches county-owned data. The context's county was checked against
    /// the principal when the context was made.
    pub fn county(&self, ctx: &Context) -> County<'_> {
        self.store.county(&ctx.county)
    }

    /// The rows of a county below the principal's office, for the office's reads and
    /// campaigns across its counties; refused for any county it does not reach.
    pub fn county_below(&self, ctx: &Context, county: &DivisionCode) -> Result<County<'_>> {
        let ctx = Context::in_county(ctx.principal.clone(), county.clone(), ctx.now)?;
        Ok(self.county(&ctx))
    }

    /// The rows of the principal's own division: its trail (sign-out, password), and
    /// for an office above counties, its own departments and audit entries.
    pub fn home(&self, principal: &Principal) -> County<'_> {
        self.store.county(&principal.division)
    }

    /// A county's rows as the public reads them: its published plans, tasks, results
    /// and lists (the portal's pages choose what is published; none of them signs in).
    pub fn public_county(&self, county: &DivisionCode) -> County<'_> {
        self.public.county(county)
    }

    /// The rows of `county` for what an entity does without an account through the
    /// code of its visit (扫码入企: rating, complaint): on the store, as they write.
    fn entity_county(&self, county: &DivisionCode) -> County<'_> {
        self.store.county(county)
    }
}

/// Who acts, in which county and when: every use case's first argument.
#[derive(Debug, Clone)]
pub struct Context {
    pub principal: Principal,
    /// The county acted in: the principal's own, or for a prefecture or province
    /// office, its own division or a county below it that the request names.
    county: DivisionCode,
    pub now: DateTime<Utc>,
}

impl Context {
    /// The principal acting in its own division.
    pub fn new(principal: Principal, now: DateTime<Utc>) -> Self {
        Context {
            county: principal.division.clone(),
            principal,
            now,
        }
    }

    /// The principal acting in `county`, which its division must contain (an office
    /// above reads the counties below it); refused otherwise.
    pub fn in_county(
        principal: Principal,
        county: DivisionCode,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        if principal.reaches(&county) {
            Ok(Context {
                principal,
                county,
                now,
            })
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn county(&self) -> &DivisionCode {
        &self.county
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
