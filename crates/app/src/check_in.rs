//! 扫码入企: the team checks a visit in on the spot with the entity's code; the
//! entity, through the same code, rates the visit and complains to the oversight
//! office; the office answers and watches the visits never checked in.

use liancha_domain::auth::{Action, Role};
use liancha_domain::check_in::{CheckInError, Complaint, Location, Rating};
use liancha_domain::org::DivisionCode;
use liancha_domain::workflow::{TaskState, VisitState};
use liancha_store::results::{CheckIn, UncheckedVisit, VisitComplaint};

use crate::review::VisitAccess;
use crate::{App, AppError, Context, Result};

/// Visits the oversight page lists by name; the count says how many in all.
pub const UNCHECKED_SHOWN: i64 = 100;
/// Ratings the complaints page lists; the count and average cover all.
pub const RATINGS_SHOWN: i64 = 100;

fn refused(field: &str) -> impl Fn(CheckInError) -> AppError + '_ {
    move |e| AppError::invalid_field(field, e.to_string())
}

/// Whether the principal checks this visit in now: one of its team, the task drawn,
/// the visit still to be inspected.
pub fn may_check_in(ctx: &Context, access: &VisitAccess) -> bool {
    ctx.may(&Action::CheckIn(&access.scope))
        && access.task.state == TaskState::Drawn
        && matches!(
            access.visit.state,
            VisitState::Pending | VisitState::Returned
        )
        && access
            .team
            .iter()
            .any(|m| Some(&m.inspector_id) == ctx.principal.inspector_id.as_ref())
}

impl App {
    /// The visit's check-ins, for whoever may read the visit.
    pub async fn check_ins(&self, ctx: &Context, id: i64, entity: &str) -> Result<Vec<CheckIn>> {
        self.visit_access(ctx, id, entity).await?;
        Ok(self.county(ctx).check_ins(id, entity).await?)
    }

    /// The team's inspector checks the visit in on the spot with the code the
    /// entity holds. `present`: the inspector ids of the team members there (the
    /// one checking in is always among them); `location` what the phone gave.
    pub async fn check_in(
        &self,
        ctx: &Context,
        id: i64,
        entity: &str,
        code: &str,
        present: &[String],
        location: Option<Location>,
    ) -> Result<()> {
        let access = self.visit_access(ctx, id, entity).await?;
        ctx.require(&Action::CheckIn(&access.scope))?;
        let me = ctx.principal.inspector_id.clone().unwrap_or_default();
        if !access.team.iter().any(|m| m.inspector_id == me) {
            return Err(AppError::Forbidden);
        }
        if let Some(stranger) = present
            .iter()
            .find(|p| !access.team.iter().any(|m| &m.inspector_id == *p))
        {
            return Err(AppError::invalid_field(
                "present",
                format!("{stranger} 不是本检查组的成员"),
            ));
        }
        // In the team's order, the one checking in counted present.
        let names: Vec<&str> = access
            .team
            .iter()
            .filter(|m| m.inspector_id == me || present.contains(&m.inspector_id))
            .map(|m| m.name.as_str())
            .collect();
        // 行政处罚法 第四十二条: inspections by two law-enforcement officers at least.
        if names.len() < 2 {
            return Err(AppError::invalid_field(
                "present",
                "检查须两名以上执法人员共同进行：请勾选在场的组员",
            ));
        }
        Ok(self
            .county(ctx)
            .check_in(
                id,
                entity,
                code,
                &names.join("、"),
                location,
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// The county holding a visit code (codes do not name their county).
    pub async fn county_of_code(&self, code: &str) -> Result<Option<DivisionCode>> {
        if code.is_empty() || code.len() > 16 {
            return Ok(None);
        }
        // As the check page finds it: the county whose visit of that code belongs to
        // a drawn or published task.
        for county in self.store.check_code_counties(code).await? {
            let c = self.entity_county(&county);
            let Some(v) = c.visit_by_code(code).await? else {
                continue;
            };
            if matches!(
                c.task_or_404(v.task_id).await?.state,
                TaskState::Drawn | TaskState::Published
            ) {
                return Ok(Some(county));
            }
        }
        Ok(None)
    }

    /// The code as typed (spaces, lower case) and its county; not found, said so.
    pub(crate) async fn visit_code(&self, code: &str) -> Result<(String, DivisionCode)> {
        let code = code.trim().to_ascii_uppercase();
        let county = self
            .county_of_code(&code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("核验码 {code}")))?;
        Ok((code, county))
    }

    /// The entity rates the visit of `code` (written to the store, not a replica).
    pub async fn rate_visit(
        &self,
        code: &str,
        stars: &str,
        comment: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let rating = Rating::parse(stars, comment).map_err(refused("stars"))?;
        let (code, county) = self.visit_code(code).await?;
        Ok(self
            .entity_county(&county)
            .rate_visit(&code, &rating, now)
            .await?)
    }

    /// The entity complains about the visit of `code` to the county's oversight
    /// office, anonymously if it wishes.
    pub async fn complain(
        &self,
        code: &str,
        text: &str,
        anonymous: bool,
        contact: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        let complaint = Complaint::parse(text, anonymous, contact).map_err(refused("text"))?;
        let (code, county) = self.visit_code(code).await?;
        Ok(self
            .entity_county(&county)
            .complain(&code, &complaint, now)
            .await?)
    }

    /// The entities' ratings of `year`'s visits: how many, their stars in all, and
    /// the newest [`RATINGS_SHOWN`].
    pub async fn ratings(
        &self,
        ctx: &Context,
        year: i32,
    ) -> Result<(i64, i64, Vec<liancha_store::results::VisitRating>)> {
        ctx.require(&Action::ReadComplaints)?;
        Ok(self.county(ctx).ratings(year, RATINGS_SHOWN).await?)
    }

    /// The complaints about visits of `year`'s tasks.
    pub async fn complaints(&self, ctx: &Context, year: i32) -> Result<Vec<VisitComplaint>> {
        ctx.require(&Action::ReadComplaints)?;
        Ok(self.county(ctx).complaints(year).await?)
    }

    pub fn may_handle_complaints(&self, ctx: &Context) -> bool {
        ctx.may(&Action::HandleComplaint)
    }

    pub fn may_read_complaints(&self, ctx: &Context) -> bool {
        ctx.may(&Action::ReadComplaints)
    }

    /// The oversight office answers a complaint.
    pub async fn handle_complaint(&self, ctx: &Context, id: i64, reply: &str) -> Result<()> {
        ctx.require(&Action::HandleComplaint)?;
        Ok(self
            .county(ctx)
            .handle_complaint(id, reply, &ctx.actor(), ctx.now)
            .await?)
    }

    /// Visits of `year` not checked in on the spot (see
    /// [`County::unchecked_visits`](liancha_store::County::unchecked_visits)).
    pub async fn unchecked_visits(
        &self,
        ctx: &Context,
        year: i32,
    ) -> Result<(i64, Vec<UncheckedVisit>)> {
        ctx.require(&Action::ReadOversight)?;
        let today = liancha_domain::calendar::china_date(ctx.now);
        Ok(self
            .county(ctx)
            .unchecked_visits(year, today, UNCHECKED_SHOWN)
            .await?)
    }

    /// Targeted inspections of `year` checked in on the spot, entered from paper,
    /// and entered before check-ins existed.
    pub async fn targeted_check_ins(&self, ctx: &Context, year: i32) -> Result<[i64; 3]> {
        ctx.require(&Action::ReadOversight)?;
        Ok(self.county(ctx).targeted_check_in_counts(year).await?)
    }

    /// Whether a department's staff entering this visit's paper record must say why
    /// it has no check-in: no check-in yet, and not the team (which checks in).
    pub async fn needs_paper_reason(&self, ctx: &Context, id: i64, entity: &str) -> Result<bool> {
        if ctx.principal.role == Role::Inspector {
            return Ok(false);
        }
        Ok(self.county(ctx).check_ins(id, entity).await?.is_empty())
    }
}
