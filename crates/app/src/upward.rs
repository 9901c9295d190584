//! 上报: the county's published results for the provincial platform, in the national
//! result columns, incremental (what changed since the last export) and idempotent
//! (each record keyed, versioned by its last change).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use liancha_domain::auth::Action;
use liancha_domain::upward::{SamplingType, UpwardFormat, UpwardRecord};
use liancha_domain::workflow::ResultCategory;
use liancha_store::upward::UpwardExport;

use crate::{App, AppError, Context, Result};

/// Exports listed on the page.
pub const EXPORTS_SHOWN: i64 = 20;

/// How far behind now an export's window ends: a publication or correction still
/// being committed (its time taken at its start) falls in the next window, never
/// between two.
pub fn settle() -> Duration {
    Duration::seconds(10)
}

/// Where an export's window starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Where the last export ended (everything, for the first).
    LastExport,
    /// Every published result.
    Everything,
    /// Changes from the start of this day (Beijing time).
    Day(NaiveDate),
}

/// An export: its records and the window they cover.
#[derive(Debug, Clone)]
pub struct Upward {
    pub records: Vec<UpwardRecord>,
    pub since: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl App {
    /// Whether the principal reports the county's results upward: the coordinator
    /// and the administrator. The oversight office reads what is pending and what
    /// was reported, but records nothing (an export it made would move the next
    /// report's window past records the county never sent).
    pub fn may_report_upward(&self, ctx: &Context) -> bool {
        ctx.may(&Action::ReadOversight)
            && ctx.principal.role != liancha_domain::auth::Role::Oversight
    }

    pub async fn upward_exports(&self, ctx: &Context) -> Result<Vec<UpwardExport>> {
        ctx.require(&Action::ReadOversight)?;
        Ok(self.county(ctx).upward_exports(EXPORTS_SHOWN).await?)
    }

    /// The records that changed in the window and, when `record` is given, the
    /// export recorded (so the next one starts where this one ends).
    pub async fn export_upward(
        &self,
        ctx: &Context,
        since: Since,
        record: Option<UpwardFormat>,
    ) -> Result<Upward> {
        ctx.require(&Action::ReadOversight)?;
        if record.is_some() && !self.may_report_upward(ctx) {
            return Err(AppError::Forbidden);
        }
        let county = self.county(ctx);
        let until = ctx.now - settle();
        let since = match since {
            Since::Everything => None,
            Since::Day(d) => Some(
                liancha_domain::calendar::china_midnight(d)
                    .ok_or_else(|| AppError::invalid_field("since", "日期无效"))?,
            ),
            Since::LastExport => county.upward_exports(1).await?.first().map(|x| x.until),
        };
        if since.is_some_and(|s| s >= until) {
            return Err(AppError::invalid_field(
                "since",
                "起始时间不能晚于现在；上次上报之后没有新的变化时，请稍后再导出",
            ));
        }
        let sources = county.upward_sources(since, until).await?;
        // The newest correction of each result: its time is the record's version,
        // its note the record's 更正说明.
        let mut corrected: BTreeMap<(i64, String, String), liancha_store::results::Correction> =
            BTreeMap::new();
        for c in county.corrections_until(until).await? {
            let key = (c.task_id, c.entity_id.clone(), c.item_code.clone());
            if corrected
                .get(&key)
                .is_none_or(|n| n.corrected_at <= c.corrected_at)
            {
                corrected.insert(key, c);
            }
        }
        let departments: BTreeMap<String, String> = county
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
        let division = ctx.county.as_str().to_string();
        let mut tasks = BTreeMap::new();
        let mut plans: BTreeMap<i64, (String, String)> = BTreeMap::new();
        let mut records = Vec::with_capacity(sources.len());
        for s in sources {
            if let std::collections::btree_map::Entry::Vacant(slot) = tasks.entry(s.task_id) {
                let t = county.task_or_404(s.task_id).await?;
                if let Some(entry) = t.plan_entry_id
                    && !plans.contains_key(&entry)
                    && let Some((plan, _)) = county.plan_entry(entry).await?
                {
                    plans.insert(entry, (plan.number, plan.title));
                }
                slot.insert(t);
            }
            let t = &tasks[&s.task_id];
            let (plan_number, plan_name) = t
                .plan_entry_id
                .and_then(|e| plans.get(&e).cloned())
                .unwrap_or_default();
            let scope = &t.scope;
            let whole = scope.townships.is_empty()
                && scope.entity_types.is_empty()
                && scope.risk_classes.is_empty()
                && scope.industry_sections.is_empty()
                && scope.tags.is_empty();
            let categories: Vec<ResultCategory> = s
                .categories
                .split(',')
                .filter_map(ResultCategory::from_code)
                .collect();
            let key = (s.task_id, s.entity_id.clone(), s.item_code.clone());
            let published = s.published_at.unwrap_or(until);
            let correction = corrected.get(&key);
            let version = correction.map_or(published, |c| c.corrected_at.max(published));
            records.push(UpwardRecord {
                record_id: UpwardRecord::key(&division, s.task_id, &s.entity_id, &s.item_code),
                version: rfc3339(version),
                division_code: division.clone(),
                plan_number,
                plan_name,
                task_number: if t.national_code.is_empty() {
                    t.number.clone()
                } else {
                    t.national_code.clone()
                },
                task_name: t.title.clone(),
                sampling_type: if whole {
                    SamplingType::Undirected
                } else {
                    SamplingType::Directed
                }
                .label()
                .to_string(),
                authority: departments
                    .get(&s.department)
                    .cloned()
                    .unwrap_or_else(|| s.department.clone()),
                uscc: liancha_domain::uscc::Uscc::parse(&s.entity_id)
                    .map(|_| s.entity_id.clone())
                    .unwrap_or_default(),
                entity_name: s.entity_name.unwrap_or_else(|| s.entity_id.clone()),
                item_name: s.item_name,
                result_codes: categories.iter().map(|c| c.code().to_string()).collect(),
                result: categories
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("；"),
                completed_on: s
                    .inspected_on
                    .unwrap_or_else(|| liancha_domain::calendar::china_date(published))
                    .to_string(),
                published_on: liancha_domain::calendar::china_date(published).to_string(),
                correction: correction.map(|c| c.note()).unwrap_or_default(),
                item_code: s.item_code,
            });
        }
        if let Some(format) = record {
            county
                .record_upward_export(
                    since,
                    until,
                    records.len() as i64,
                    format.code(),
                    &ctx.actor(),
                    ctx.now,
                )
                .await?;
        }
        Ok(Upward {
            records,
            since,
            until,
        })
    }
}

impl App {
    /// Whether the principal may download the county's credit state in the
    /// province's columns: who imports the province's file, and who reads oversight.
    pub async fn may_read_credit_state(&self, ctx: &Context) -> Result<bool> {
        Ok(ctx.may(&Action::ReadOversight)
            || self
                .may_import(ctx, liancha_store::import::Kind::CreditStatus)
                .await?)
    }

    /// Writes the county's entities with their risk class and list statuses, in the
    /// province's columns (省级回传), to `path` (.xlsx or .csv): what the county holds,
    /// to compare with the province's file, or to edit and import back.
    pub async fn export_credit_state(&self, ctx: &Context, path: &std::path::Path) -> Result<u64> {
        if !self.may_read_credit_state(ctx).await? {
            return Err(AppError::Forbidden);
        }
        Ok(self
            .county(ctx)
            .export_file(liancha_store::import::Kind::CreditStatus, path, &|_| {})
            .await?)
    }
}
