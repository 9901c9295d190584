//! Campaigns (专项整治): a prefecture or the province sets one inspection across the
//! counties below it. It becomes one draft task per county, written in one
//! transaction, each led by the county's own department for the domain; from then on
//! every task is its county's (sealed, drawn, inspected and published there), and the
//! campaign only ties them together for the office that set it.

use chrono::{DateTime, NaiveDate, Utc};
use liancha_domain::Domain;
use liancha_domain::org::DivisionCode;

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::tasks::{NewTask, QuotaSpec, TaskScopeFilter, insert_task};
use crate::{Result, Store, StoreError, append_audit, with_pool};

/// What an office asks of its counties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    /// The office setting it: a prefecture or a province.
    pub division: DivisionCode,
    pub year: i32,
    pub title: String,
    pub domain: Domain,
    /// Item codes, the same in every county's list (as a province's lists are).
    pub items: Vec<String>,
    pub scope: TaskScopeFilter,
    pub quotas: QuotaSpec,
    pub team_count: u32,
    pub team_size: u32,
    pub inspection_start: NaiveDate,
    pub inspection_end: NaiveDate,
    /// The counties it is set for, each with the department that leads it there.
    pub counties: Vec<(DivisionCode, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    pub division: DivisionCode,
    pub year: i32,
    pub title: String,
    pub domain: Domain,
    pub counties: Vec<DivisionCode>,
    pub created_at: DateTime<Utc>,
}

type CampaignRow = (i64, String, i32, String, String, String, DateTime<Utc>);

fn campaign(r: CampaignRow) -> Result<Campaign> {
    let (id, division, year, title, domain, counties, created_at) = r;
    Ok(Campaign {
        division: DivisionCode::parse(&division).map_err(StoreError::corrupt)?,
        domain: Domain::from_code(&domain).ok_or_else(|| StoreError::corrupt(&domain))?,
        counties: counties
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| DivisionCode::parse(c).map_err(StoreError::corrupt))
            .collect::<Result<_>>()?,
        id,
        year,
        title,
        created_at,
    })
}

const CAMPAIGN_SELECT: &str =
    "SELECT id, division, year, title, domain, counties, created_at FROM campaigns";

impl Store {
    /// Sets a campaign: its row on the office's trail, and in each county a draft task
    /// (its own audit entry on the county's trail), all or none. Each county's task is
    /// checked as that county's (its items published, its rule book's team size).
    pub async fn create_campaign(
        &self,
        c: &NewCampaign,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let title = crate::posted("专项名称", c.title.trim(), liancha_domain::text::NAME)?;
        if title.is_empty() {
            return Err(StoreError::invalid("请填写专项名称"));
        }
        if c.counties.is_empty() {
            return Err(StoreError::invalid("请至少选择一个县（市、区）"));
        }
        let created_by = actor
            .user_id
            .ok_or_else(|| StoreError::invalid("须以用户身份下达专项"))?;
        let scope =
            serde_json::to_string(&c.scope).map_err(|e| StoreError::invalid(e.to_string()))?;
        let quotas = match c.quotas {
            QuotaSpec::RuleBook => None,
            q => Some(serde_json::to_string(&q).map_err(|e| StoreError::invalid(e.to_string()))?),
        };
        // Every county's task, checked as that county's, before anything is written.
        let mut tasks = Vec::new();
        for (i, (county, lead)) in c.counties.iter().enumerate() {
            if c.counties[..i].iter().any(|(other, _)| other == county) {
                return Err(StoreError::invalid(format!("{county} 重复")));
            }
            if !c.division.contains(county) || county == &c.division {
                return Err(StoreError::invalid(format!(
                    "{county} 不在 {} 之下",
                    c.division
                )));
            }
            let name = self
                .division(county)
                .await?
                .map(|d| d.name)
                .ok_or_else(|| StoreError::invalid(format!("行政区划 {county} 不存在")))?;
            let task = NewTask {
                year: c.year,
                title: title.to_string(),
                domain: c.domain,
                mode: liancha_domain::workflow::TaskMode::Campaign,
                lead_department: lead.clone(),
                items: c.items.clone(),
                scope: c.scope.clone(),
                quotas: c.quotas,
                team_count: c.team_count,
                team_size: c.team_size,
                avoid_same_township: false,
                inspection_start: c.inspection_start,
                inspection_end: c.inspection_end,
                plan_entry_id: None,
            };
            let items = self
                .county(county)
                .check_new_task(&task)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid { message: m, .. } => {
                        StoreError::invalid(format!("{name}：{m}"))
                    }
                    e => e,
                })?;
            tasks.push((county.clone(), task, items));
        }
        // Each county's audit head is locked in turn: always in the same order, so two
        // campaigns over the same counties cannot wait on each other.
        tasks.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let counties: Vec<&str> = c.counties.iter().map(|(c, _)| c.as_str()).collect();
        let office = self.county(&c.division);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaigns (division, year, title, domain, counties, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(c.division.as_str()).bind(c.year).bind(title).bind(c.domain.code())
                .bind(counties.join(",")).bind(created_by).bind(now)
                .fetch_one(&mut *tx).await?;
            let mut made = Vec::new();
            for (county, task, items) in &tasks {
                let h = self.county(county);
                let task_id = insert_task!(h, tx, task, items, &scope, &quotas, created_by, Some(id), actor, now);
                made.push(serde_json::json!({"county": county.as_str(), "task": task_id}));
            }
            append_audit!(office, &mut *tx, actor, now, Audit::new("campaign.create", "campaign", id)
                .after(serde_json::json!({"title": title, "year": c.year, "domain": c.domain.code(),
                    "items": c.items, "tasks": made})))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The campaigns of an office and of the offices below it, newest first.
    pub async fn campaigns(&self, within: &DivisionCode) -> Result<Vec<Campaign>> {
        let sql = format!("{CAMPAIGN_SELECT} WHERE division LIKE $1 ORDER BY id DESC");
        let prefix = format!("{}%", within.short());
        let rows: Vec<CampaignRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql))
            .bind(&prefix).fetch_all(p).await)?;
        rows.into_iter().map(campaign).collect()
    }

    /// A campaign, by id.
    pub async fn campaign(&self, id: i64) -> Result<Option<Campaign>> {
        let sql = format!("{CAMPAIGN_SELECT} WHERE id = $1");
        let row: Option<CampaignRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql))
            .bind(id).fetch_optional(p).await)?;
        row.map(campaign).transpose()
    }
}
