//! Annual plans (年度抽查工作计划) per domain: lead and participating departments,
//! planned tasks by month with their items and scope. Once published a plan is what
//! the public sees, and it no longer changes.

use chrono::{DateTime, Utc};
use liancha_domain::Domain;
use liancha_domain::numbering::NumberKind;

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, StoreError, append_audit, with_pool};

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::invalid(msg.into())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    pub id: i64,
    pub month: u32,
    pub title: String,
    pub items: Vec<String>,
    pub scope: String,
    /// Tasks created from this entry.
    pub tasks: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualPlan {
    pub id: i64,
    pub year: i32,
    pub domain: Domain,
    pub title: String,
    pub lead_department: String,
    pub departments: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Its official number (发文字号), given when published; empty when the lead
    /// department had not set its 机关代字 then.
    pub number: String,
    /// Its filing (备案) with the office above, once recorded.
    pub filing: Option<Filing>,
    pub entries: Vec<PlanEntry>,
}

/// A plan's filing as recorded: with whom, when, under which reference, and who
/// recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing {
    pub filed_with: String,
    pub filed_on: chrono::NaiveDate,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    year: i32,
    domain: String,
    title: String,
    lead_department: String,
    published_at: Option<DateTime<Utc>>,
    number: String,
    filed_with: String,
    filed_on: Option<chrono::NaiveDate>,
    filed_reference: String,
    filed_by: String,
    filed_at: Option<DateTime<Utc>>,
}

impl County<'_> {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_annual_plan(
        &self,
        year: i32,
        domain: Domain,
        title: &str,
        lead_department: &str,
        departments: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let title = crate::posted("计划名称", title.trim(), liancha_domain::text::NAME)
            .map_err(|e| e.on_field("title"))?;
        if title.is_empty() {
            return Err(StoreError::invalid_field("title", "请填写计划名称"));
        }
        if !(2000..=2100).contains(&year) {
            return Err(StoreError::invalid_field(
                "year",
                "年度须在 2000 至 2100 之间",
            ));
        }
        let all = self.departments().await?;
        let mut members: Vec<String> = vec![lead_department.to_string()];
        for d in departments {
            if !members.contains(d) {
                members.push(d.clone());
            }
        }
        if let Some(bad) = members.iter().find(|d| !all.iter().any(|x| &x.code == *d)) {
            return Err(StoreError::invalid_field(
                "departments",
                format!("部门「{bad}」不存在"),
            ));
        }
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The write comes first and the key (county, year, domain) refuses a second
            // plan: on SQLite a transaction that has read cannot wait for the write lock
            // (it is refused at once as busy), one that starts by writing waits.
            let inserted: std::result::Result<i64, sqlx::Error> = self.query_scalar(
                "INSERT INTO annual_plans (county, year, domain, title, lead_department, created_at) VALUES ($C, $1, $2, $3, $4, $5) RETURNING id")
                .bind(year).bind(domain.code()).bind(title).bind(lead_department).bind(now).fetch_one(&mut *tx).await;
            let id = match inserted {
                Ok(id) => id,
                Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                    return Err(StoreError::invalid_field(
                        "domain",
                        format!("{year} 年{}领域的计划已存在", domain.label()),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            for d in &members {
                self.query("INSERT INTO annual_plan_departments (county, plan_id, department) VALUES ($C, $1, $2)")
                    .bind(id).bind(d).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("plan.create", "annual-plan", id)
                .after(serde_json::json!({"year": year, "domain": domain.code(), "title": title, "departments": members})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Adds a planned task; only to an unpublished plan, with items of its departments.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_plan_entry(
        &self,
        plan_id: i64,
        month: u32,
        title: &str,
        items: &[String],
        scope: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let plan = self
            .annual_plan(plan_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("计划 {plan_id}")))?;
        if plan.published_at.is_some() {
            return Err(StoreError::WrongState("计划已公布，不能再修改".into()));
        }
        if !(1..=12).contains(&month) {
            return Err(StoreError::invalid_field("month", "月份须在 1 至 12 之间"));
        }
        if title.trim().is_empty() {
            return Err(StoreError::invalid_field("title", "请填写计划任务名称"));
        }
        crate::posted("计划任务名称", title, liancha_domain::text::NAME)
            .map_err(|e| e.on_field("title"))?;
        crate::posted("抽查范围", scope, liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("scope"))?;
        if items.is_empty() {
            return Err(StoreError::invalid_field("items", "请至少选择一项抽查事项"));
        }
        for code in items {
            let item = self.item(code).await?.ok_or_else(|| {
                StoreError::invalid_field("items", format!("抽查事项「{code}」不存在"))
            })?;
            if !plan.departments.contains(&item.department) {
                return Err(StoreError::invalid_field(
                    "items",
                    format!("事项「{}」的部门未参与本计划", item.name),
                ));
            }
        }
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Publication may have committed since the plan was read: the write on the
            // plan's row waits for it and then finds the plan published.
            let open = self.query("UPDATE annual_plans SET published_at = published_at WHERE county = $C AND id = $1 AND published_at IS NULL")
                .bind(plan_id).execute(&mut *tx).await?;
            if open.rows_affected() != 1 {
                return Err(StoreError::WrongState("计划已公布，不能再修改".into()));
            }
            let id: i64 = self.query_scalar(
                "INSERT INTO annual_plan_entries (county, plan_id, month, title, items, scope) VALUES ($C, $1, $2, $3, $4, $5) RETURNING id")
                .bind(plan_id).bind(month as i32).bind(title.trim()).bind(items.join(",")).bind(scope.trim())
                .fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("plan.entry", "annual-plan", plan_id)
                .after(serde_json::json!({"month": month, "title": title.trim(), "items": items, "scope": scope.trim()})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn publish_annual_plan(
        &self,
        plan_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if self.annual_plan(plan_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("计划 {plan_id}")));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE annual_plans SET published_at = $1 WHERE county = $C AND id = $2 AND published_at IS NULL")
                .bind(now).bind(plan_id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::WrongState("计划已公布（可能是表单重复提交）".into()));
            }
            // Counted after the plan's row is held: an entry being added meanwhile has
            // committed (and is counted) or will find the plan published.
            let entries: i64 = self.query_scalar("SELECT COUNT(*) FROM annual_plan_entries WHERE county = $C AND plan_id = $1")
                .bind(plan_id).fetch_one(&mut *tx).await?;
            if entries == 0 {
                return Err(invalid("计划中还没有任务，不能公布"));
            }
            let lead: String = self.query_scalar(
                "SELECT lead_department FROM annual_plans WHERE county = $C AND id = $1")
                .bind(plan_id).fetch_one(&mut *tx).await?;
            // The year of issue (GB/T 9704), not the plan's: a 2027 plan published in
            // December 2026 is 〔2026〕.
            let issued = chrono::Datelike::year(&liancha_domain::calendar::china_date(now));
            let number = crate::numbers::number_for!(self, &mut *tx, &lead, NumberKind::Plan, issued);
            if let Some(number) = &number {
                self.query("UPDATE annual_plans SET number = $1 WHERE county = $C AND id = $2")
                    .bind(number).bind(plan_id).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("plan.publish", "annual-plan", plan_id)
                .after(serde_json::json!({"entries": entries, "number": number})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records (or corrects) a published plan's filing (备案) with the office above.
    pub async fn file_plan(
        &self,
        plan_id: i64,
        filed_with: &str,
        filed_on: &str,
        reference: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let plan = self
            .annual_plan(plan_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("计划 {plan_id}")))?;
        if plan.published_at.is_none() {
            return Err(StoreError::WrongState("计划公布后才能登记备案".into()));
        }
        let earliest = chrono::NaiveDate::from_ymd_opt(plan.year - 1, 1, 1)
            .ok_or_else(|| StoreError::corrupt(format!("plan year {}", plan.year)))?;
        let filing = liancha_domain::approval::PlanFiling::parse(
            filed_with,
            filed_on,
            reference,
            earliest,
            liancha_domain::calendar::china_date(now),
        )
        .map_err(|e| StoreError::invalid_field(e.field(), e.message()))?;
        let before = plan.filing.as_ref().map(|f| {
            serde_json::json!({"filed_with": f.filed_with, "filed_on": f.filed_on.to_string(), "reference": f.reference})
        });
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE annual_plans SET filed_with = $1, filed_on = $2, filed_reference = $3, filed_by = $4, filed_at = $5 \
                        WHERE county = $C AND id = $6 AND published_at IS NOT NULL")
                .bind(&filing.filed_with).bind(filing.filed_on).bind(&filing.reference)
                .bind(&actor.username).bind(now).bind(plan_id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::WrongState("计划公布后才能登记备案".into()));
            }
            let mut audit = Audit::new("plan.file", "annual-plan", plan_id).after(serde_json::json!({
                "filed_with": filing.filed_with, "filed_on": filing.filed_on.to_string(), "reference": filing.reference}));
            if let Some(b) = before {
                audit = audit.before(b);
            }
            append_audit!(self, &mut *tx, actor, now, audit)?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn annual_plans(
        &self,
        year: Option<i32>,
        published_only: bool,
    ) -> Result<Vec<AnnualPlan>> {
        let mut sql = String::from("SELECT id FROM annual_plans WHERE county = $C");
        if year.is_some() {
            sql.push_str(" AND year = $1");
        }
        if published_only {
            sql.push_str(" AND published_at IS NOT NULL");
        }
        sql.push_str(" ORDER BY year DESC, domain");
        let ids: Vec<i64> = with_pool!(self, p => {
            let mut q = self.query_scalar(&sql);
            if let Some(y) = year { q = q.bind(y); }
            q.fetch_all(p).await
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(p) = self.annual_plan(id).await? {
                out.push(p);
            }
        }
        Ok(out)
    }

    pub async fn annual_plan(&self, id: i64) -> Result<Option<AnnualPlan>> {
        let row: Option<PlanRow> = with_pool!(self, p => self.query_as(
            "SELECT id, year, domain, title, lead_department, published_at, number, filed_with, filed_on, filed_reference, \
             COALESCE((SELECT u.display_name FROM users u WHERE u.username = annual_plans.filed_by), filed_by) AS filed_by, \
             filed_at FROM annual_plans WHERE county = $C AND id = $1")
            .bind(id).fetch_optional(p).await)?;
        let Some(r) = row else { return Ok(None) };
        let departments: Vec<String> = with_pool!(self, p => self.query_scalar(
            "SELECT d.department FROM annual_plan_departments d WHERE d.county = $C AND d.plan_id = $1 \
             ORDER BY d.department = $2 DESC, d.department")
            .bind(id).bind(&r.lead_department).fetch_all(p).await)?;
        let entries: Vec<(i64, i32, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT id, month, title, items, scope FROM annual_plan_entries WHERE county = $C AND plan_id = $1 ORDER BY month, id")
            .bind(id).fetch_all(p).await)?;
        let tasks: Vec<(i64, i64)> = with_pool!(self, p => self.query_as(
            "SELECT t.plan_entry_id, t.id FROM tasks t JOIN annual_plan_entries e ON e.county = t.county AND e.id = t.plan_entry_id \
             WHERE t.county = $C AND e.plan_id = $1 ORDER BY t.id").bind(id).fetch_all(p).await)?;
        Ok(Some(AnnualPlan {
            domain: Domain::from_code(&r.domain).ok_or_else(|| StoreError::corrupt(&r.domain))?,
            id: r.id,
            year: r.year,
            title: r.title,
            lead_department: r.lead_department,
            published_at: r.published_at,
            number: r.number,
            filing: match (r.filed_on, r.filed_at) {
                (Some(filed_on), Some(recorded_at)) => Some(Filing {
                    filed_with: r.filed_with,
                    filed_on,
                    reference: r.filed_reference,
                    recorded_by: r.filed_by,
                    recorded_at,
                }),
                _ => None,
            },
            departments,
            entries: entries
                .into_iter()
                .map(|(eid, month, title, items, scope)| PlanEntry {
                    tasks: tasks.iter().filter(|t| t.0 == eid).map(|t| t.1).collect(),
                    id: eid,
                    month: month as u32,
                    title,
                    items: items
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    scope,
                })
                .collect(),
        }))
    }

    /// The plan an entry belongs to, and the entry.
    pub async fn plan_entry(&self, entry_id: i64) -> Result<Option<(AnnualPlan, PlanEntry)>> {
        let plan_id: Option<i64> = with_pool!(self, p => self.query_scalar(
            "SELECT plan_id FROM annual_plan_entries WHERE county = $C AND id = $1").bind(entry_id).fetch_optional(p).await)?;
        let Some(plan_id) = plan_id else {
            return Ok(None);
        };
        let Some(plan) = self.annual_plan(plan_id).await? else {
            return Ok(None);
        };
        let entry = plan.entries.iter().find(|e| e.id == entry_id).cloned();
        Ok(entry.map(|e| (plan, e)))
    }
}
