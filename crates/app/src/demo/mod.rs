//! The demo county's year: what a county that has run liancha for a year holds, so
//! that every page a newcomer opens shows what it is for. Published joint tasks of
//! every domain with their results (most 未发现问题, some problems, follow-ups open
//! and closed, credit listings), targeted inspections, a published annual plan, and
//! tasks in every state: in review, drawn, sealed, draft and cancelled.
//!
//! Everything goes through the use cases, by the county's own accounts, at the
//! moments it would have happened (the context's `now`, counted back from `today`),
//! so the audit trail, the deadlines and the draw records are those of real work.
//! Deterministic for a given `today`: the draws' sources are fixed, and the entity
//! directory is the demo's.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use liancha_domain::EntityStatus;
use liancha_domain::auth::Role;
use liancha_domain::org::DivisionCode;
use liancha_domain::workflow::{
    CreditList, FollowUpKind, ResultCategory, SourceDecl, TargetedSource, TaskMode, VisitState,
    WitnessRole,
};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::accounts::{Actor, NewUser};
use liancha_store::demo::DEMO_PASSWORD;
use liancha_store::directories::EntityFilter;
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};

use crate::follow_up::FollowUpChange;
use crate::plans::{NewPlan, NewPlanEntry};
use crate::records::{ConflictInput, TargetedInput};
use crate::{App, AppError, Context, Result};

mod schedule;
mod script;

use schedule::*;
use script::*;

/// What the year left behind, for the command line to report.
#[derive(Debug, Default, Clone)]
pub struct Year {
    pub tasks: usize,
    pub published: usize,
    pub visits: usize,
    pub follow_ups: usize,
    pub listings: usize,
    pub targeted: usize,
    /// Conflicts of interest declared (回避关系).
    pub conflicts: usize,
    /// The department admins the year needed besides the demo's own.
    pub department_admins: Vec<String>,
    /// The county's demo inspector, given an account once on a team of the task under
    /// way (unless it had one).
    pub inspector: Option<liancha_store::demo::DemoAccount>,
}

/// The department admin of each department the year's tasks need, made like the
/// demo's own (the demo makes only amr's and agri's).
async fn department_admins(app: &App, ctx: &Context) -> Result<Vec<String>> {
    let (store, county, now) = (app.store(), ctx.county(), ctx.now);
    let departments = app.county(ctx).departments().await?;
    let mut needed: Vec<&str> = SPECS
        .iter()
        .flat_map(|s| s.items.iter().filter_map(|c| department_of(c)))
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let mut made = Vec::new();
    // Each department's admin (its clerk) and its head, who approves its tasks.
    let kinds = [
        ("admin", Role::DepartmentAdmin, "管理员"),
        ("head", Role::DepartmentHead, "负责人"),
    ];
    for (code, (suffix, role, title)) in needed
        .iter()
        .flat_map(|c| kinds.iter().map(move |k| (*c, *k)))
    {
        let username = format!("{code}-{suffix}");
        if store.user_by_name(&username).await?.is_some() {
            continue;
        }
        let name = departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.name.clone())
            .ok_or_else(|| AppError::NotFound(format!("部门 {code}")))?;
        store
            .create_user(
                &NewUser {
                    division: county.clone(),
                    username: username.clone(),
                    display_name: format!("{name} {title}"),
                    role,
                    department: Some(code.into()),
                    township: None,
                    inspector_id: None,
                    password: DEMO_PASSWORD.into(),
                    must_change_password: false,
                },
                &Actor::system("demo"),
                now,
            )
            .await?;
        made.push(username);
    }
    Ok(made)
}

/// The demo inspector's account, for a market inspector of the first team of task
/// `id`: its 我的检查 then holds the visits of a task under way.
async fn inspector_on_a_team(
    app: &App,
    c: &liancha_store::County<'_>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<liancha_store::demo::DemoAccount>> {
    let members = c.team_members(id).await?;
    let Some(member) = members.iter().find(|m| m.active && m.department == "amr") else {
        return Ok(None);
    };
    let Some(inspector) = c.inspector(&member.inspector_id).await? else {
        return Ok(None);
    };
    Ok(liancha_store::demo::inspector_account(app.store(), c.code(), &inspector, now).await?)
}

/// The department an item of the demo belongs to, by its code's prefix.
fn department_of(item: &str) -> Option<&'static str> {
    Some(match item.get(..2)? {
        "SC" => "amr",
        "WS" => "health",
        "YJ" => "emergency",
        "GS" => "commerce",
        "HB" => "ecology",
        "ZR" => "natres",
        "SW" => "water",
        "WL" => "culture",
        "WZ" => "cultenf",
        "GA" => "police",
        "JT" => "transport",
        "JJ" => "traffic",
        "NY" => "agri",
        "LC" => "forestry",
        _ => return None,
    })
}

fn departments(spec: &Spec) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = vec![spec.lead];
    for d in spec.items.iter().filter_map(|c| department_of(c)) {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// The day the year's annual plan was made: after the accounts, before any task.
fn plan_day(today: NaiveDate) -> NaiveDate {
    workday(today - Duration::days(336))
}

/// When the county began its year on liancha: its accounts date from then.
pub fn opened(today: NaiveDate) -> DateTime<Utc> {
    at(workday(today - Duration::days(340)), 9, 0)
}

/// Plays the demo county's year up to yesterday, `today` being the county's date.
/// Expects the demo's directories and accounts in `county` and no task yet.
pub async fn year(app: &App, county: &DivisionCode, today: NaiveDate) -> Result<Year> {
    let principal = async |name: &str| -> Result<liancha_domain::auth::Principal> {
        Ok(app
            .store()
            .user_by_name(name)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("账号 {name}")))?
            .principal())
    };
    // The year is 牟定县's, played by its own accounts (the short demo names).
    let coordinator = principal("bianban").await?;
    let opening = Context::new(coordinator.clone(), opened(today));
    if opening.county() != county {
        return Err(AppError::invalid(format!(
            "演示年度只为 {} 载入",
            coordinator.division
        )));
    }
    let made = department_admins(app, &opening).await?;
    let mut admins = Vec::new();
    for spec in SPECS {
        for d in departments(spec) {
            if !admins.iter().any(|(c, _)| *c == d) {
                admins.push((d, principal(&format!("{d}-admin")).await?));
            }
        }
    }
    // The latest moment a step has acted at: a step's own entries may run past the
    // next step's moment (one department approving 20 minutes after another), and the
    // next then waits, so that the audit trail reads in the order things happened.
    let latest = std::cell::Cell::new(DateTime::<Utc>::MIN_UTC);
    let admin = |d: &str, now: DateTime<Utc>| -> Context {
        latest.set(latest.get().max(now));
        let p = admins
            .iter()
            .find(|(c, _)| *c == d)
            .map(|(_, p)| p.clone())
            .expect("every department of the year has its admin");
        Context::new(p, now)
    };
    let c = app.county(&opening);
    let plan_year = plan_day(today).year();
    let mut plan_entries: Vec<(u32, i64)> = Vec::new();
    let mut ids: Vec<Option<i64>> = vec![None; SPECS.len()];
    let mut out = Year {
        department_admins: made,
        ..Year::default()
    };
    // The first settled task with listings enough also shows credit repair and
    // objections: one application granted, one refused, one awaiting a decision;
    // one objection answered, one open.
    let mut repaired = false;
    for (scheduled, step) in schedule(today) {
        let now = scheduled.max(latest.get());
        latest.set(now);
        match step {
            Step::Plan => {
                let ctx = Context::new(coordinator.clone(), now);
                let id = app
                    .create_plan(
                        &ctx,
                        &NewPlan {
                            year: plan_year,
                            domain: Domain::Market,
                            title: format!("{plan_year}年度市场监管领域部门联合抽查工作计划"),
                            lead_department: "amr".into(),
                            departments: vec![
                                "commerce".into(),
                                "health".into(),
                                "emergency".into(),
                                "agri".into(),
                            ],
                        },
                    )
                    .await?;
                for spec in SPECS.iter().filter(|s| s.domain == Domain::Market) {
                    let d = dates(spec, today);
                    if d.start.year() != plan_year
                        || plan_entries.iter().any(|e| e.0 == d.start.month())
                    {
                        continue;
                    }
                    let entry = app
                        .add_plan_entry(
                            &ctx,
                            id,
                            &NewPlanEntry {
                                month: d.start.month(),
                                title: spec.title.trim_end_matches("（已取消）").into(),
                                items: spec.items.iter().map(|s| s.to_string()).collect(),
                                scope: "全县范围内相关市场主体".into(),
                            },
                        )
                        .await?;
                    plan_entries.push((d.start.month(), entry));
                }
                app.publish_plan(&ctx, id).await?;
                // Filed with the county's 司法局 the day it was published (备案).
                let filed_on = liancha_domain::calendar::china_date(ctx.now);
                let reference = format!("牟司行备〔{}〕1号", filed_on.year());
                app.file_plan(&ctx, id, "牟定县司法局", &filed_on.to_string(), &reference)
                    .await?;
            }
            Step::Create(i) => {
                let spec = &SPECS[i];
                let d = dates(spec, today);
                let ctx = admin(spec.lead, now);
                let plan_entry_id = (spec.domain == Domain::Market && d.start.year() == plan_year)
                    .then(|| {
                        plan_entries
                            .iter()
                            .find(|e| e.0 == d.start.month())
                            .map(|e| e.1)
                    })
                    .flatten();
                let id = app
                    .create_task(
                        &ctx,
                        &NewTask {
                            year: d.start.year(),
                            title: spec.title.into(),
                            domain: spec.domain,
                            mode: TaskMode::Comprehensive,
                            lead_department: spec.lead.into(),
                            items: spec.items.iter().map(|s| s.to_string()).collect(),
                            scope: TaskScopeFilter {
                                industry_sections: spec
                                    .sections
                                    .iter()
                                    .map(|s| s.to_string())
                                    .collect(),
                                ..TaskScopeFilter::default()
                            },
                            quotas: QuotaSpec::Count(spec.quotas),
                            team_count: spec.teams,
                            team_size: 2,
                            avoid_same_township: false,
                            inspection_start: d.start,
                            inspection_end: d.end,
                            plan_entry_id,
                        },
                    )
                    .await?;
                ids[i] = Some(id);
                out.tasks += 1;
            }
            Step::AskApproval(i) => {
                let id = ids[i].expect("created");
                let version = c.task_or_404(id).await?.version;
                app.request_approval(&admin(SPECS[i].lead, now), id, version)
                    .await?;
            }
            Step::Seal(i) => {
                let id = ids[i].expect("created");
                let ctx = admin(SPECS[i].lead, now);
                let reveal_after = if SPECS[i].fate == Fate::Sealed {
                    // Revealed tomorrow: a sealed task waiting for its source.
                    at(today + Duration::days(1), 10, 0)
                } else {
                    now + Duration::minutes(30)
                };
                let source = SourceDecl::other("县公证处公证员现场掷骰（五枚）", reveal_after)
                    .map_err(|e| AppError::invalid(e.to_string()))?;
                let version = c.task_or_404(id).await?.version;
                // 检查审批: the clerk asks, the lead department's head approves.
                app.request_approval(&ctx, id, version).await?;
                let head = principal(&format!("{}-head", SPECS[i].lead)).await?;
                app.decide_approval(
                    &Context::new(head, ctx.now),
                    id,
                    version,
                    true,
                    "同意，按方案实施",
                )
                .await?;
                app.commit(&ctx, id, version, &[source], true).await?;
                // The notary who throws the dice witnesses the draw.
                let notaries = ["李文华", "王丽萍"];
                app.add_witness(
                    &ctx,
                    id,
                    notaries[i % notaries.len()],
                    WitnessRole::Notary,
                    "牟定县公证处",
                )
                .await?;
            }
            Step::Draw(i) => {
                let id = ids[i].expect("created");
                let ctx = admin(SPECS[i].lead, now);
                let version = c.task_or_404(id).await?.version;
                let dice = [
                    "3 1 4 1 5",
                    "2 7 1 8 2",
                    "1 4 1 4 2",
                    "1 7 3 2 0",
                    "6 1 8 0 3",
                ];
                app.draw(&ctx, id, version, &[dice[i % dice.len()].into()], true)
                    .await?;
                if SPECS[i].fate == Fate::Drawn {
                    out.inspector = inspector_on_a_team(app, &c, id, now).await?;
                }
            }
            Step::Cancel(i) => {
                let id = ids[i].expect("created");
                let ctx = admin(SPECS[i].lead, now);
                let version = c.task_or_404(id).await?.version;
                app.cancel(&ctx, id, version, "抽查范围漏选住宿业，方案作废后重新制定")
                    .await?;
            }
            Step::Enter(i, k) => {
                let spec = &SPECS[i];
                let id = ids[i].expect("created");
                let day = inspection_day(&dates(spec, today), k);
                let visits = c.visits(id).await?;
                let assigned = visits.iter().filter(|v| v.team_no.is_some());
                let members = c.team_members(id).await?;
                for (j, v) in assigned.enumerate().filter(|(j, _)| j % DAYS == k) {
                    // 扫码入企: the team checks in on arrival, the phone giving the
                    // place (not always); now and then a visit in the hills without
                    // signal is entered from paper, the department saying why.
                    let paper = (j % 11 == 5).then_some(
                        "检查当天企业所在山区无手机信号，未能扫码签到，按纸质检查记录补录",
                    );
                    if paper.is_none() {
                        let team: Vec<&str> = members
                            .iter()
                            .filter(|m| m.active && Some(m.team_no) == v.team_no)
                            .map(|m| m.name.as_str())
                            .collect();
                        let place = (j % 7 != 3).then(|| liancha_domain::check_in::Location {
                            latitude_e6: 25_312_000 + (j as i64 * 1_373) % 40_000,
                            longitude_e6: 101_546_000 + (j as i64 * 2_917) % 60_000,
                            accuracy_m: Some(10 + (j as i64 * 7) % 40),
                        });
                        c.check_in(
                            id,
                            &v.entity_id,
                            &v.check_code,
                            &team.join("、"),
                            place,
                            &Actor::system(team.first().copied().unwrap_or("检查组")),
                            now + Duration::minutes(j as i64 * 3),
                        )
                        .await?;
                    }
                    for (n, dept) in departments(spec).into_iter().enumerate() {
                        let results: Vec<ItemResult> = spec
                            .items
                            .iter()
                            .filter(|code| department_of(code) == Some(dept))
                            .map(|code| {
                                let (categories, findings) = outcome(i, j, code, dept == spec.lead);
                                ItemResult {
                                    item_code: (*code).into(),
                                    categories,
                                    methods: vec![InspectionMethod::OnSite],
                                    findings,
                                }
                            })
                            .collect();
                        let ctx = admin(dept, now + Duration::minutes((j * 3 + n + 1) as i64));
                        app.record_results(&ctx, id, &v.entity_id, Some(day), &results, paper)
                            .await?;
                    }
                    out.visits += 1;
                    // Now and then the entity rates the visit through its code, and
                    // once it complains.
                    let at = now + Duration::minutes((j * 3 + departments(spec).len()) as i64);
                    if paper.is_none() && j % 4 == 0 {
                        let (stars, comment) = [
                            ("5", "检查人员出示证件，一次查完，没有耽误营业"),
                            ("4", ""),
                            ("3", "等候时间较长"),
                        ][(i + j) % 3];
                        let rating = liancha_domain::check_in::Rating::parse(stars, comment)
                            .map_err(|e| AppError::invalid(e.to_string()))?;
                        c.rate_visit(&v.check_code, &rating, at).await?;
                    }
                    if i == 0 && j == 1 {
                        let complaint = liancha_domain::check_in::Complaint::parse(
                            "检查组到店时正值午市高峰，要求停业配合检查一个多小时，希望以后错开营业高峰。",
                            false,
                            "店长 李女士 138****5521",
                        )
                        .map_err(|e| AppError::invalid(e.to_string()))?;
                        c.complain(&v.check_code, &complaint, at).await?;
                    }
                }
            }
            Step::Approve(i) => {
                let spec = &SPECS[i];
                let id = ids[i].expect("created");
                let all = departments(spec);
                // In review: the lead has approved, the other department not yet.
                let approving = if spec.fate == Fate::InReview {
                    &all[..1]
                } else {
                    &all[..]
                };
                for (n, dept) in approving.iter().enumerate() {
                    let ctx = admin(dept, now + Duration::minutes(20 * n as i64));
                    app.approve_results(&ctx, id, true).await?;
                }
            }
            Step::Publish(i) => {
                let id = ids[i].expect("created");
                let ctx = admin(SPECS[i].lead, now);
                let version = c.task_or_404(id).await?.version;
                app.publish(&ctx, id, version, true).await?;
                out.published += 1;
            }
            Step::Settle(i) => {
                let id = ids[i].expect("created");
                // Work of tasks that began over 100 days ago (published about 75 days
                // ago or more) is done; newer work is open,
                // its follow-ups given a due date.
                let done = SPECS[i].starts_ago > 100;
                let follow_ups = c.follow_ups(None, false).await?;
                for f in follow_ups.iter().filter(|f| f.task_id == Some(id)) {
                    let ctx = admin(&f.department, now);
                    let change = if done {
                        FollowUpChange::Close {
                            note: match f.kind {
                                FollowUpKind::Case => "已立案查处，作出行政处罚决定并结案。".into(),
                                _ => "复查确认已整改到位。".into(),
                            },
                            confirmed: true,
                        }
                    } else {
                        FollowUpChange::Update {
                            kind: f.kind,
                            due_on: Some(today + Duration::days(15)),
                            target_department: None,
                            note: "已下达责令整改通知书，限期整改。".into(),
                        }
                    };
                    app.change_follow_up(&ctx, f.id, change).await?;
                    out.follow_ups += 1;
                }
                if done {
                    for p in c
                        .credit_proposals(None)
                        .await?
                        .iter()
                        .filter(|p| p.task_id == Some(id))
                    {
                        let ctx = admin(&p.department, now + Duration::minutes(30));
                        app.decide_credit(&ctx, p.id, true, "经核实，依法列入。", true)
                            .await?;
                        out.listings += 1;
                    }
                    let listed: Vec<_> = c
                        .credit_proposals(None)
                        .await?
                        .into_iter()
                        .filter(|p| {
                            p.list == CreditList::Abnormal
                                && p.state == liancha_domain::workflow::ProposalState::Confirmed
                                && p.task_id.is_some()
                        })
                        .collect();
                    if !repaired && listed.len() >= 3 {
                        repaired = true;
                        let mut codes = std::collections::BTreeMap::new();
                        for p in &listed {
                            let task = p.task_id.unwrap_or_default();
                            for v in c.visits(task).await? {
                                if v.entity_id == p.entity_id {
                                    codes.insert(p.id, v.check_code);
                                }
                            }
                        }
                        let visits = c.visits(id).await?;
                        let at = now + Duration::minutes(40);
                        let statements = [
                            ("reachable", "已于本月办理住所变更登记，新住所可以联系。"),
                            ("annual-report", "已补报上一年度年度报告并公示。"),
                            ("disclosed", "已更正公示的从业人员和联系电话信息。"),
                        ];
                        let mut applied = Vec::new();
                        for (p, (ground, statement)) in listed.iter().zip(statements) {
                            let grounds = [ground.to_string()];
                            let form = crate::credit_repair::RepairForm {
                                proposal: p.id,
                                list: "abnormal",
                                grounds: &grounds,
                                statement,
                                contact: "企业联系人 0878-5210000",
                            };
                            let code = codes.get(&p.id).map_or("", String::as_str);
                            let r = app.apply_credit_repair_by_code(code, &form, at).await?;
                            applied.push((r, p.department.clone()));
                        }
                        let at = now + Duration::minutes(50);
                        if let Some((r, d)) = applied.first() {
                            app.decide_credit_repair(
                                &admin(d, at),
                                *r,
                                true,
                                "经实地核查，新住所可以取得联系，准予移出。",
                                true,
                            )
                            .await?;
                        }
                        if let Some((r, d)) = applied.get(1) {
                            app.decide_credit_repair(
                                &admin(d, at),
                                *r,
                                false,
                                "经查询，上一年度年度报告尚未公示，请公示后重新申请。",
                                true,
                            )
                            .await?;
                        }
                        let others: Vec<_> = visits
                            .iter()
                            .filter(|v| {
                                v.state == VisitState::Published
                                    && !listed.iter().any(|p| p.entity_id == v.entity_id)
                            })
                            .take(2)
                            .collect();
                        let mut objections = Vec::new();
                        let department = SPECS[i].lead;
                        for v in &others {
                            objections.push(
                                app.object_to_result(
                                    &v.check_code,
                                    department,
                                    "检查时提供的台账未被记录，认为结果与事实不符，请核实。",
                                    "企业联系人 0878-5210001",
                                    at,
                                )
                                .await?,
                            );
                        }
                        if let Some(&o) = objections.first() {
                            app.answer_objection(
                                &admin(department, at + Duration::minutes(5)),
                                o,
                                crate::credit_repair::ObjectionAnswer::Uphold {
                                    reply: "经复核检查记录和现场照片，原结果无误，维持原结果。"
                                        .into(),
                                },
                            )
                            .await?;
                        }
                        latest.set(at + Duration::minutes(5));
                    }
                }
            }
            Step::Conflicts => {
                let ctx = Context::new(coordinator.clone(), now);
                let entities = c
                    .entities(
                        &EntityFilter {
                            status: Some(EntityStatus::Active),
                            ..EntityFilter::default()
                        },
                        0,
                        400,
                    )
                    .await?
                    .rows;
                for (k, decl) in CONFLICTS.iter().enumerate() {
                    let Some(inspector) = c
                        .inspectors(Some(decl.department))
                        .await?
                        .into_iter()
                        .nth(decl.nth_inspector)
                    else {
                        continue;
                    };
                    let Some(entity) = entities.get((k * 97 + 13) % entities.len().max(1)) else {
                        continue;
                    };
                    app.declare_conflict(
                        &ctx,
                        &ConflictInput {
                            inspector_id: inspector.id,
                            entity_id: entity.id.clone(),
                            entity_request: decl.entity_request,
                            reason: decl.reason.into(),
                        },
                    )
                    .await?;
                    out.conflicts += 1;
                }
            }
            Step::Targeted(k) => {
                let t = &TARGETED[k];
                let ctx = admin(t.department, now);
                let filter = EntityFilter {
                    query: Some(t.kind.into()),
                    status: Some(EntityStatus::Active),
                    ..EntityFilter::default()
                };
                let page = c.entities(&filter, t.nth as i64, 1).await?;
                let entity = page
                    .rows
                    .into_iter()
                    .next()
                    .ok_or_else(|| AppError::NotFound(format!("检查对象「{}」", t.kind)))?
                    .id;
                app.record_targeted(
                    &ctx,
                    TargetedInput {
                        entity_id: entity,
                        source: t.source,
                        document_ref: t.document.replace("{year}", &now.year().to_string()),
                        inspected_on: liancha_domain::calendar::china_date(now),
                        items: t.items.iter().map(|s| s.to_string()).collect(),
                        findings: t.findings.into(),
                        arrival: crate::records::Arrival::Paper {
                            reason: "现场无网络，未能签到，按现场检查笔录补录".into(),
                        },
                    },
                )
                .await?;
                out.targeted += 1;
            }
        }
    }
    Ok(out)
}
