//! Campaigns (专项整治) on the web: an office above counties sets one across its
//! counties (`/staff/campaigns`) and follows each county's task of it
//! (`/staff/campaigns/ID`). The counties do the work on their own task pages.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use liancha_domain::Domain;
use liancha_domain::auth::Action;
use liancha_domain::calendar::china_date;
use liancha_store::campaigns::{Campaign, NewCampaign};
use liancha_store::tasks::{QuotaSpec, Task, TaskScopeFilter, VisitProgress};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::setup::FormError;
use crate::staff::{DoneQuery, done_message};
use crate::{AppState, WebError};

/// The form an office fills in, as posted (kept when refused).
#[derive(Deserialize, Default, Clone)]
pub struct CampaignForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    items: Vec<String>,
    #[serde(default)]
    counties: Vec<String>,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    team_count: String,
    #[serde(default)]
    team_size: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "staff/campaigns.html")]
struct CampaignsPage {
    staff: Staff,
    notice: Option<&'static str>,
    campaigns: Vec<Campaign>,
    can_set: bool,
    domains: &'static [Domain],
    /// Items every county below has published: code and name.
    items: Vec<(String, String)>,
    form: CampaignForm,
    error: Option<FormError>,
}

impl CampaignsPage {
    fn county_name(&self, code: &liancha_domain::org::DivisionCode) -> String {
        self.staff
            .counties
            .iter()
            .find(|c| &c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name.clone())
    }
    fn item_checked(&self, code: &str) -> bool {
        self.form.items.iter().any(|i| i == code)
    }
    fn county_checked(&self, code: &str) -> bool {
        self.form.counties.is_empty() || self.form.counties.iter().any(|c| c == code)
    }
}

/// The published items every county below the office has, in code order.
async fn common_items(s: &AppState, staff: &Staff) -> Result<Vec<(String, String)>, WebError> {
    let mut common: Option<BTreeMap<String, String>> = None;
    for c in &staff.counties {
        let items: BTreeMap<String, String> = staff
            .rows_in(s, &c.code)?
            .items(true)
            .await?
            .into_iter()
            .map(|i| (i.code, i.name))
            .collect();
        common = Some(match common {
            None => items,
            Some(before) => before
                .into_iter()
                .filter(|(code, _)| items.contains_key(code))
                .collect(),
        });
    }
    Ok(common.unwrap_or_default().into_iter().collect())
}

async fn page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    form: CampaignForm,
    error: Option<FormError>,
) -> Result<Html<String>, WebError> {
    let campaigns = s.app.campaigns(&staff.context(s.clock.now())).await?;
    Ok(Html(
        CampaignsPage {
            can_set: staff.may(&Action::SetCampaign),
            items: common_items(s, &staff).await?,
            domains: Domain::ALL,
            campaigns,
            notice,
            form,
            error,
            staff,
        }
        .render()?,
    ))
}

pub async fn campaigns(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    if !staff.above_counties() {
        return Err(WebError::Forbidden);
    }
    let today = china_date(s.clock.now());
    let form = CampaignForm {
        year: today.year().to_string(),
        team_count: "2".into(),
        team_size: "2".into(),
        start: today.to_string(),
        end: (today + chrono::Duration::days(30)).to_string(),
        ..CampaignForm::default()
    };
    page(&s, staff, done_message(&q.done), form, None).await
}

fn field(name: &str, message: impl Into<String>) -> FormError {
    FormError {
        field: name.into(),
        message: message.into(),
    }
}

impl CampaignForm {
    fn campaign(
        &self,
        staff: &Staff,
    ) -> Result<(NewCampaign, Vec<liancha_domain::org::Division>), FormError> {
        let year = self
            .year
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| field("year", "年度不正确"))?;
        let domain =
            Domain::from_code(&self.domain).ok_or_else(|| field("domain", "请选择领域"))?;
        if self.items.is_empty() {
            return Err(field("items", "请至少选择一项抽查事项"));
        }
        if let Some(code) = self
            .counties
            .iter()
            .find(|code| !staff.counties.iter().any(|c| c.code.as_str() == *code))
        {
            return Err(field(
                "counties",
                format!("「{code}」不是所辖的县（市、区）"),
            ));
        }
        // In the tree's order, each once (a form posted twice over names it twice).
        let counties: Vec<_> = staff
            .counties
            .iter()
            .filter(|c| self.counties.iter().any(|x| x == c.code.as_str()))
            .cloned()
            .collect();
        if counties.is_empty() {
            return Err(field("counties", "请至少选择一个县（市、区）"));
        }
        let number = |name: &str, v: &str, label: &str| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| field(name, format!("{label}须为 1 至 500 的整数")))
        };
        let date = |name: &str, v: &str| {
            liancha_domain::rows::parse_date(v.trim())
                .ok_or_else(|| field(name, format!("「{v}」不是有效日期，应写作 2026-03-01")))
        };
        let start: NaiveDate = date("start", &self.start)?;
        let end: NaiveDate = date("end", &self.end)?;
        let tags: Vec<String> = self
            .tags
            .split(['、', ',', '，', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        Ok((
            NewCampaign {
                division: staff.principal.division.clone(),
                year,
                title: self.title.clone(),
                domain,
                items: self.items.clone(),
                scope: TaskScopeFilter {
                    tags,
                    ..TaskScopeFilter::default()
                },
                quotas: QuotaSpec::RuleBook,
                team_count: number("team_count", &self.team_count, "检查组数量")?,
                team_size: number("team_size", &self.team_size, "检查组人数")?,
                inspection_start: start,
                inspection_end: end,
                counties: Vec::new(),
            },
            counties,
        ))
    }
}

pub async fn create(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<CampaignForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::SetCampaign)?;
    let outcome = match f.campaign(&staff) {
        Err(e) => Err(e),
        Ok((campaign, counties)) => match s
            .app
            .create_campaign(
                &staff.context(s.clock.now()),
                campaign,
                &counties,
                crate::staff::ticked(&f.confirm),
            )
            .await
        {
            Ok(id) => Ok(id),
            Err(e) => Err(FormError::of(e)?),
        },
    };
    match outcome {
        Ok(id) => Ok(Redirect::to(&format!("/staff/campaigns/{id}?done=campaign")).into_response()),
        Err(error) => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            page(&s, staff, None, f, Some(error)).await?,
        )
            .into_response()),
    }
}

#[derive(Template)]
#[template(path = "staff/campaign.html")]
struct CampaignPage {
    staff: Staff,
    notice: Option<&'static str>,
    campaign: Campaign,
    /// Per county: its code, its name, its task of the campaign and the task's visits.
    tasks: Vec<(String, String, Task, VisitProgress)>,
}

pub async fn campaign(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    if !staff.above_counties() {
        return Err(WebError::Forbidden);
    }
    let (campaign, tasks) = s.app.campaign(&staff.context(s.clock.now()), id).await?;
    let tree = s.divisions().await?;
    let tasks = tasks
        .into_iter()
        .map(|(county, t, progress)| {
            let name = tree
                .iter()
                .find(|d| d.code.as_str() == county)
                .map_or_else(|| county.clone(), |d| d.name.clone());
            (county, name, t, progress)
        })
        .collect();
    Ok(Html(
        CampaignPage {
            notice: done_message(&q.done),
            campaign,
            tasks,
            staff,
        }
        .render()?,
    ))
}
