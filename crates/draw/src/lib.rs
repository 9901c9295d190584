//! liancha-draw: the publicly verifiable draw, `liancha-draw/1`
//! (`shared/spec/draw-v1.md`) and its extension `liancha-draw/2`
//! (`docs/draw-v2.md`: teams that must hold a specialty).
//!
//! Anyone holding a published record must be able to recompute it in any
//! language and get the same targets, teams and pairings. Hence this crate is
//! pure and exact: no I/O, no floats, no randomness of its own, no hash-map
//! iteration order anywhere near an output, and its own strict JSON layer so that
//! the digested bytes never depend on a third-party formatter.
//!
//! Entry points:
//! * [`draw_input`] / [`verify_record`]: bytes in, record or verdict out (the CLI).
//! * [`Plan`] + [`draw`] / [`Record::draw`]: for Rust callers building plans.
//! * [`quotas`], [`StratumCounter`], [`StratumSelector`], [`tickets_parallel`]:
//!   the streaming two-pass shape for populations too big to hold as a plan
//!   (see the [`select`](mod@select) module docs).
//! * [`drand`]: quicknet source parsing and signature checks.
//!
//! ```
//! let input = r#"{"format": "liancha-draw/1",
//!   "plan": {"task": {"id": "T-1"},
//!            "entities": [{"id": "e1", "stratum": "A"}, {"id": "e2", "stratum": "A"}],
//!            "quotas": [{"stratum": "A", "count": 1}],
//!            "sources": ["体彩排列5 第26321期开奖号码"]},
//!   "reveal": ["3 5 7 1 9"]}"#;
//! let record = liancha_draw::draw_input(input.as_bytes()).unwrap();
//! assert_eq!(record.result().selected.len(), 1);
//! let published = record.to_pretty_json();
//! let summary = liancha_draw::verify_record(published.as_bytes()).unwrap();
//! assert_eq!(summary.selected, 1);
//! ```

pub mod drand;
mod draw;
mod error;
mod hash;
pub mod hex;
pub mod json;
mod plan;
mod quota;
mod record;
pub mod select;
mod teams;
pub mod time;

pub use draw::{DrawResult, check_reveal, draw, draw_with_digest};
pub use error::{DrawError, VerifyError};
pub use hash::{
    Purpose, Seed, Ticket, Ticketer, digest_value, plan_digest, seed, ticket, tickets_parallel,
};
pub use json::{Object, Value};
pub use plan::{
    Conflict, FORMAT_V1, FORMAT_V2, Plan, PlanEntity, PlanInspector, Quota, QuotaRule, Selection,
    TeamRules,
};
pub use quota::quotas;
pub use record::{
    BeaconCheck, FORMAT, FORMATS, Record, VerifyOptions, VerifySummary, check_beacons, draw_input,
    verify_record, verify_record_with,
};
pub use select::{Selected, StratumCounter, StratumSelector, select};
pub use teams::{Assignment, Team, Unassigned, UnassignedReason, assign, form_teams};
