//! What a visit found, its review and publication, and what follows from it:
//! follow-up items for the responsible department, credit-list proposals, and
//! targeted (non-random) inspections that count toward the annual cap.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use liancha_domain::InspectionMethod;
use liancha_domain::calendar::{WorkCalendar, china_date};
use liancha_domain::workflow::{
    CreditList, FollowUpKind, FollowUpState, ProposalState, ResultCategory, TargetedSource,
    TaskState, VisitState, check_categories, publication_deadline,
};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, Store, StoreError, append_audit, with_pool};

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::invalid(msg.into())
}

/// One item's result within a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub item_code: String,
    pub categories: Vec<ResultCategory>,
    pub methods: Vec<InspectionMethod>,
    pub findings: String,
}

/// Visits still waiting for their results: assigned and not submitted, or returned.
fn open_visits(visits: &[crate::tasks::Visit]) -> usize {
    visits
        .iter()
        .filter(|v| matches!(v.state, VisitState::Pending | VisitState::Returned))
        .count()
}

fn join_codes<T: Copy>(v: &[T], code: fn(T) -> &'static str) -> String {
    v.iter().map(|x| code(*x)).collect::<Vec<_>>().join(",")
}

pub(crate) fn split_codes<T>(s: &str, parse: fn(&str) -> Option<T>) -> Vec<T> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .filter_map(parse)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: i64,
    pub task_id: Option<i64>,
    pub entity_id: String,
    pub entity_name: String,
    pub department: String,
    pub item_code: Option<String>,
    /// Every item whose findings this follow-up covers, in order.
    pub items: Vec<String>,
    pub category: ResultCategory,
    pub kind: FollowUpKind,
    pub due_on: Option<NaiveDate>,
    pub target_department: Option<String>,
    pub state: FollowUpState,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct FollowUpRow {
    id: i64,
    task_id: Option<i64>,
    entity_id: String,
    entity_name: Option<String>,
    department: String,
    item_code: Option<String>,
    items: String,
    category: String,
    kind: String,
    due_on: Option<NaiveDate>,
    target_department: Option<String>,
    state: String,
    note: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

impl TryFrom<FollowUpRow> for FollowUp {
    type Error = StoreError;
    fn try_from(r: FollowUpRow) -> Result<FollowUp> {
        let bad = |w: &str| StoreError::corrupt(format!("follow-up {}: {w}", r.id));
        Ok(FollowUp {
            category: ResultCategory::from_code(&r.category).ok_or_else(|| bad("category"))?,
            kind: FollowUpKind::from_code(&r.kind).ok_or_else(|| bad("kind"))?,
            state: FollowUpState::from_code(&r.state).ok_or_else(|| bad("state"))?,
            id: r.id,
            task_id: r.task_id,
            entity_name: r.entity_name.unwrap_or_else(|| r.entity_id.clone()),
            entity_id: r.entity_id,
            department: r.department,
            items: split_items(&r.items),
            item_code: r.item_code,
            due_on: r.due_on,
            target_department: r.target_department,
            note: r.note,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditProposal {
    pub id: i64,
    pub entity_id: String,
    pub entity_name: String,
    pub list: CreditList,
    pub department: String,
    pub task_id: Option<i64>,
    pub item_code: Option<String>,
    /// Every item whose findings led to the proposal, in order.
    pub items: Vec<String>,
    /// The finding that led to it; none for a listing the province made (省级回传).
    pub category: Option<ResultCategory>,
    pub state: ProposalState,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// When it was confirmed or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// When a confirmed listing was lifted (移出名单), and why.
    pub removed: Option<CreditRemoval>,
}

/// The category of a listing the province made, as stored.
pub(crate) const PROVINCE: &str = "province";
pub(crate) const PROVINCE_LABEL: &str = "省级协同监管平台回传";

impl CreditProposal {
    /// What put the entity on the list, in words.
    pub fn ground(&self) -> &'static str {
        self.category.map_or(PROVINCE_LABEL, ResultCategory::label)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRemoval {
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct ProposalRow {
    id: i64,
    entity_id: String,
    entity_name: Option<String>,
    list: String,
    department: String,
    task_id: Option<i64>,
    item_code: Option<String>,
    items: String,
    category: String,
    state: String,
    note: String,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    removed_at: Option<DateTime<Utc>>,
    removal_reason: Option<String>,
}

impl TryFrom<ProposalRow> for CreditProposal {
    type Error = StoreError;
    fn try_from(r: ProposalRow) -> Result<CreditProposal> {
        let bad = |w: &str| StoreError::corrupt(format!("proposal {}: {w}", r.id));
        Ok(CreditProposal {
            list: CreditList::from_code(&r.list).ok_or_else(|| bad("list"))?,
            category: match r.category.as_str() {
                PROVINCE => None,
                c => Some(ResultCategory::from_code(c).ok_or_else(|| bad("category"))?),
            },
            state: ProposalState::from_code(&r.state).ok_or_else(|| bad("state"))?,
            id: r.id,
            entity_name: r.entity_name.unwrap_or_else(|| r.entity_id.clone()),
            entity_id: r.entity_id,
            department: r.department,
            task_id: r.task_id,
            items: split_items(&r.items),
            item_code: r.item_code,
            note: r.note,
            created_at: r.created_at,
            decided_at: r.decided_at,
            removed: r.removed_at.map(|at| CreditRemoval {
                at,
                reason: r.removal_reason.unwrap_or_default(),
            }),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TargetedInspection {
    pub id: i64,
    /// The attachment holding the source document, if one was uploaded.
    pub document: Option<i64>,
    pub entity_id: String,
    /// `None` for an entity no longer in the directory.
    pub entity_name: Option<String>,
    pub department: String,
    pub source: String,
    pub document_ref: String,
    pub inspected_on: NaiveDate,
    pub year: i32,
    pub items: String,
    pub findings: String,
    /// How it was checked in: on arrival (`code`), entered from paper (`paper`, with
    /// `paper_reason`), or entered whole before check-ins (`legacy`).
    pub check_in_mode: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The inspectors present at the check-in, names joined by 、.
    pub inspectors: String,
    pub latitude_e6: Option<i64>,
    pub longitude_e6: Option<i64>,
    pub accuracy_m: Option<i64>,
    pub paper_reason: String,
}

impl TargetedInspection {
    pub fn source_label(&self) -> &'static str {
        TargetedSource::from_code(&self.source).map_or("", TargetedSource::label)
    }

    pub fn mode(&self) -> liancha_domain::check_in::CheckInMode {
        liancha_domain::check_in::CheckInMode::from_code(&self.check_in_mode)
            .unwrap_or(liancha_domain::check_in::CheckInMode::Legacy)
    }

    pub fn location(&self) -> Option<liancha_domain::check_in::Location> {
        Some(liancha_domain::check_in::Location {
            latitude_e6: self.latitude_e6?,
            longitude_e6: self.longitude_e6?,
            accuracy_m: self.accuracy_m,
        })
    }

    /// The item codes it names.
    pub fn item_codes(&self) -> Vec<&str> {
        self.items.split(',').filter(|c| !c.is_empty()).collect()
    }

    /// Checked in on arrival and its findings still to be entered.
    pub fn awaits_findings(&self) -> bool {
        self.check_in_mode == "code" && self.findings.is_empty()
    }
}

/// How a targeted inspection came to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetedCheckIn {
    /// On arrival, by one of the inspectors there: who was present (names joined
    /// by 、) and where the phone said.
    OnSite {
        inspectors: String,
        /// Their inspector ids: who may enter the findings.
        inspector_ids: Vec<String>,
        location: Option<liancha_domain::check_in::Location>,
    },
    /// Afterwards, from the paper record: why there was no check-in.
    Paper { reason: String },
}

#[derive(Debug, Clone)]
pub struct NewTargeted {
    pub entity_id: String,
    pub department: String,
    pub source: TargetedSource,
    pub document_ref: String,
    pub inspected_on: NaiveDate,
    pub items: Vec<String>,
    pub findings: String,
    pub check_in: TargetedCheckIn,
}

/// Where publication of a drawn task stands, per department of its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStatus {
    pub department: String,
    pub approved_at: Option<DateTime<Utc>>,
}

fn split_items(items: &str) -> Vec<String> {
    items
        .split(',')
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .collect()
}

const FOLLOW_UP_SELECT: &str = "SELECT f.id, f.task_id, f.entity_id, e.name AS entity_name, f.department, f.item_code, \
     f.items, f.category, f.kind, f.due_on, f.target_department, f.state, f.note, f.created_at, f.closed_at \
     FROM follow_ups f LEFT JOIN entities e ON e.county = f.county AND e.id = f.entity_id WHERE f.county = $C";

const PROPOSAL_SELECT: &str = "SELECT c.id, c.entity_id, e.name AS entity_name, c.list, c.department, c.task_id, \
     c.item_code, c.items, c.category, c.state, c.note, c.created_at, c.decided_at, r.removed_at, r.reason AS removal_reason \
     FROM credit_proposals c LEFT JOIN entities e ON e.county = c.county AND e.id = c.entity_id \
     LEFT JOIN credit_removals r ON r.county = c.county AND r.proposal_id = c.id WHERE c.county = $C";

/// Holds the visit's row for the rest of the transaction (PostgreSQL: a row lock;
/// SQLite's write transaction holds everything already), so that two posts of one
/// code count each other's rows.
macro_rules! lock_visit {
    ($county:expr, $tx:expr, $task:expr, $entity:expr) => {
        $county
            .query("UPDATE visits SET check_code = check_code WHERE county = $C AND task_id = $1 AND entity_id = $2")
            .bind($task)
            .bind($entity)
            .execute($tx)
            .await?;
    };
}

// One file per part of a visit's afterlife; each adds its methods to `County`.
mod approve; // department approval and publication, deadlines
mod attachments; // evidence and documents
mod check_in; // 扫码入企: check-ins, the entity's rating and complaints
mod credit; // credit proposals, listings and removals
mod follow_up; // follow-ups (后续处置)
mod province; // 省级回传: the province's risk classes and list statuses
mod published;
mod record; // results entered, returned
mod repair; // credit repair, objections and corrections of published results
mod targeted; // targeted inspections (定向检查) // what the public sees of results

pub use attachments::Attachment;
pub use check_in::{CheckIn, EntityInspection, UncheckedVisit, VisitComplaint, VisitRating};
pub use province::Run;
pub use published::{ListedEntity, PublishedResult};
pub use repair::{Correction, CreditRepair, Listing, ResultObjection};
