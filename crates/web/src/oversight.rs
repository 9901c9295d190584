//! The oversight dashboard (督查室): figures per department and domain, charts drawn
//! on the server as SVG, every table as XLSX, and a printable monthly report.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use chrono::Datelike;
use liancha_domain::auth::{Action, Role};
use liancha_domain::calendar::china_date;
use liancha_domain::workflow::TaskState;
use liancha_store::oversight::{Figures, Oversight};
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::staff::Names;
use crate::{AppState, WebError};

/// Escapes text for HTML.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart: one row per label, bars scaled to the largest value.
/// `value` is what the bar measures; `text` what is written beside it. HTML rather
/// than SVG, so that labels keep their full text and wrap on a phone instead of
/// shrinking with the drawing; each bar is a `<meter>`, sized without inline style
/// (the CSP allows none).
pub fn bar_chart(title: &str, rows: &[(String, i64, String)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let mut s = format!(
        "<figure class=\"chart\"><figcaption>{t}</figcaption><div class=\"bars\">",
        t = xml(title)
    );
    for (label, value, text) in rows {
        s.push_str(&format!(
            "<span class=\"bar-label\">{label}</span>\
             <meter min=\"0\" max=\"{max}\" value=\"{value}\" title=\"{text}\"></meter>\
             <span class=\"bar-value\">{text}</span>",
            label = xml(label),
            value = (*value).max(0),
            text = xml(text),
        ));
    }
    s.push_str("</div></figure>");
    s
}

/// Basis points as the fraction a spreadsheet's percent format shows (1234 → 0.1234).
fn bp_fraction(bp: i64) -> f64 {
    bp as f64 / 10_000.0
}

pub fn percent(bp: i64) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    year: Option<i32>,
    /// `YYYY-MM` for the monthly report.
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    department: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/oversight.html")]
struct DashboardPage {
    staff: Staff,
    names: Names,
    o: Oversight,
    states: &'static [TaskState],
    coverage_chart: String,
    problems_chart: String,
    tasks_chart: String,
    tasks: Vec<liancha_store::tasks::Task>,
    /// 扫码入企: visits not checked in on the spot (how many, the first ones), and
    /// complaints still to be answered.
    unchecked: (i64, Vec<liancha_store::results::UncheckedVisit>),
    /// Targeted inspections this year: checked in on the spot, from paper, before.
    targeted: [i64; 3],
    /// `None` for those who do not read complaints.
    open_complaints: Option<usize>,
}

impl DashboardPage {
    fn coverage(&self, f: &Figures) -> String {
        percent(f.coverage_bp(self.o.population))
    }
    fn problems(&self, f: &Figures) -> String {
        percent(f.problem_bp())
    }
}

async fn load(
    s: &AppState,
    staff: &Staff,
    year: Option<i32>,
    month: Option<u32>,
) -> Result<Oversight, WebError> {
    let now = s.clock.now();
    let year = year.unwrap_or_else(|| china_date(now).year());
    Ok(staff.rows(s).oversight(year, month, now).await?)
}

/// One county's year, as the office above it reads it.
pub struct CountyYear {
    pub code: String,
    pub name: String,
    pub population: i64,
    pub figures: Figures,
}

#[derive(Template)]
#[template(path = "staff/oversight_counties.html")]
struct CountiesPage {
    staff: Staff,
    year: i32,
    counties: Vec<CountyYear>,
    total: CountyYear,
    coverage_chart: String,
    overdue_chart: String,
}

impl CountiesPage {
    fn coverage(&self, c: &CountyYear) -> String {
        percent(c.figures.coverage_bp(c.population))
    }
    fn problems(&self, c: &CountyYear) -> String {
        percent(c.figures.problem_bp())
    }
}

/// Every county below an office, one year's figures each, and their sum.
async fn counties_year(
    s: &AppState,
    staff: &Staff,
    year: Option<i32>,
) -> Result<(i32, Vec<CountyYear>, CountyYear), WebError> {
    let now = s.clock.now();
    let year = year.unwrap_or_else(|| china_date(now).year());
    let counties: Vec<CountyYear> = s
        .app
        .counties_year(&staff.context(now), &staff.counties, year)
        .await?
        .into_iter()
        .map(|c| CountyYear {
            code: c.county.code.to_string(),
            name: c.county.name,
            population: c.population,
            figures: c.figures,
        })
        .collect();
    let mut total = CountyYear {
        code: staff.principal.division.to_string(),
        name: format!("{}合计", staff.county_name()),
        population: 0,
        figures: Figures::default(),
    };
    for c in &counties {
        total.population += c.population;
        total.figures.add(&c.figures);
    }
    Ok((year, counties, total))
}

/// An office above counties: each county's figures side by side, each leading to
/// the county's own dashboard.
async fn counties_dashboard(
    s: &AppState,
    staff: Staff,
    year: Option<i32>,
) -> Result<Html<String>, WebError> {
    let (year, counties, total) = counties_year(s, &staff, year).await?;
    let coverage_chart = bar_chart(
        "各县（市、区）检查覆盖率（已检查主体 ÷ 存续主体）",
        &counties
            .iter()
            .map(|c| {
                let bp = c.figures.coverage_bp(c.population);
                (c.name.clone(), bp, percent(bp))
            })
            .collect::<Vec<_>>(),
    );
    let overdue_chart = bar_chart(
        "各县（市、区）超期未公示任务",
        &counties
            .iter()
            .map(|c| {
                let n = c.figures.overdue_tasks;
                (c.name.clone(), n, n.to_string())
            })
            .collect::<Vec<_>>(),
    );
    Ok(Html(
        CountiesPage {
            staff,
            year,
            counties,
            total,
            coverage_chart,
            overdue_chart,
        }
        .render()?,
    ))
}

pub async fn dashboard(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ReadOversight)?;
    if staff.office_wide() {
        return counties_dashboard(&s, staff, q.year).await;
    }
    let o = load(&s, &staff, q.year, None).await?;
    let with_tasks: Vec<_> = o
        .departments
        .iter()
        .filter(|(_, f)| f.tasks() > 0 || f.inspected > 0)
        .collect();
    let coverage_chart = bar_chart(
        "各部门检查覆盖率（已检查主体 ÷ 存续主体）",
        &with_tasks
            .iter()
            .map(|(d, f)| {
                (
                    d.name.clone(),
                    f.coverage_bp(o.population),
                    percent(f.coverage_bp(o.population)),
                )
            })
            .collect::<Vec<_>>(),
    );
    let problems_chart = bar_chart(
        "发现问题的主体占比",
        &with_tasks
            .iter()
            .map(|(d, f)| (d.name.clone(), f.problem_bp(), percent(f.problem_bp())))
            .collect::<Vec<_>>(),
    );
    let tasks_chart = bar_chart(
        "各领域任务数",
        &o.domains
            .iter()
            .map(|(d, f)| (d.label().to_string(), f.tasks(), f.tasks().to_string()))
            .collect::<Vec<_>>(),
    );
    let tasks = staff
        .rows(&s)
        .tasks(&liancha_store::tasks::TaskFilter {
            year: Some(o.year),
            ..Default::default()
        })
        .await?;
    let ctx = staff.context(s.clock.now());
    let unchecked = s.app.unchecked_visits(&ctx, o.year).await?;
    let targeted = s.app.targeted_check_ins(&ctx, o.year).await?;
    let open_complaints = if s.app.may_read_complaints(&ctx) {
        Some(
            s.app
                .complaints(&ctx, o.year)
                .await?
                .iter()
                .filter(|c| !c.handled())
                .count(),
        )
    } else {
        None
    };
    Ok(Html(
        DashboardPage {
            unchecked,
            targeted,
            open_complaints,
            tasks,
            names: Names::load(&s, &staff.county.code).await?,
            states: TaskState::ALL,
            coverage_chart,
            problems_chart,
            tasks_chart,
            o,
            staff,
        }
        .render()?,
    ))
}

/// Every table of the dashboard as one workbook.
pub async fn export(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    staff.require(&Action::ReadOversight)?;
    let (bytes, year) = if staff.office_wide() {
        let (year, counties, total) = counties_year(&s, &staff, q.year).await?;
        (counties_workbook(&counties, &total), year)
    } else {
        let o = load(&s, &staff, q.year, None).await?;
        (workbook(&o), o.year)
    };
    let bytes = bytes.map_err(|e| WebError::BadRequest(format!("无法生成表格：{e}")))?;
    Ok(crate::pages::sheet_download(
        bytes,
        &format!("oversight-{year}.xlsx"),
        &format!("监督看板{year}.xlsx"),
        false,
    ))
}

/// The office's counties side by side, as one sheet.
fn counties_workbook(
    counties: &[CountyYear],
    total: &CountyYear,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let share = Format::new().set_num_format("0.00%");
    let ws = wb.add_worksheet();
    ws.set_name("按县（市、区）")?;
    let headers = [
        "行政区划代码",
        "县（市、区）",
        "任务数（不含已取消）",
        "已取消",
        "存续主体",
        "已检查主体",
        "覆盖率",
        "发现问题主体",
        "问题占比",
        "定向检查",
        "处置中",
        "已办结",
        "超期未公示任务",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    ws.set_column_width(1, 20)?;
    for (r, c) in counties.iter().chain(std::iter::once(total)).enumerate() {
        let r = r as u32 + 1;
        let f = &c.figures;
        // Codes always as text.
        ws.write_string(r, 0, &c.code)?;
        ws.write_string(r, 1, &c.name)?;
        ws.write_number(r, 2, f.tasks() as f64)?;
        ws.write_number(r, 3, f.cancelled() as f64)?;
        ws.write_number(r, 4, c.population as f64)?;
        ws.write_number(r, 5, f.inspected as f64)?;
        ws.write_number_with_format(r, 6, bp_fraction(f.coverage_bp(c.population)), &share)?;
        ws.write_number(r, 7, f.with_problems as f64)?;
        ws.write_number_with_format(r, 8, bp_fraction(f.problem_bp()), &share)?;
        ws.write_number(r, 9, f.targeted as f64)?;
        ws.write_number(r, 10, f.follow_ups_open as f64)?;
        ws.write_number(r, 11, f.follow_ups_closed as f64)?;
        ws.write_number(r, 12, f.overdue_tasks as f64)?;
    }
    wb.save_to_buffer()
}

fn workbook(o: &Oversight) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let headers = [
        "名称",
        "任务数（不含已取消）",
        "草稿",
        "方案已封存",
        "检查中",
        "已公示",
        "已取消",
        "已检查主体",
        "覆盖率",
        "发现问题主体",
        "问题占比",
        "定向检查",
        "处置中",
        "已办结",
        "超期未公示任务",
        "牵头任务",
    ];
    // Shares are numbers in a percent format, so that a clerk can sort and sum them.
    let share = Format::new().set_num_format("0.00%");
    let mut table = |name: &str,
                     rows: Vec<(String, &Figures)>|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        ws.set_column_width(0, 28)?;
        for (r, (label, f)) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, label)?;
            ws.write_number(r, 1, f.tasks() as f64)?;
            for (i, n) in f.tasks_by_state.iter().enumerate() {
                ws.write_number(r, 2 + i as u16, *n as f64)?;
            }
            ws.write_number(r, 7, f.inspected as f64)?;
            ws.write_number_with_format(r, 8, bp_fraction(f.coverage_bp(o.population)), &share)?;
            ws.write_number(r, 9, f.with_problems as f64)?;
            ws.write_number_with_format(r, 10, bp_fraction(f.problem_bp()), &share)?;
            ws.write_number(r, 11, f.targeted as f64)?;
            ws.write_number(r, 12, f.follow_ups_open as f64)?;
            ws.write_number(r, 13, f.follow_ups_closed as f64)?;
            ws.write_number(r, 14, f.overdue_tasks as f64)?;
            // Only a department leads tasks.
            if name == "按部门" {
                ws.write_number(r, 15, f.led as f64)?;
            }
        }
        Ok(())
    };
    table(
        "按部门",
        o.departments
            .iter()
            .map(|(d, f)| (d.name.clone(), f))
            .collect(),
    )?;
    table(
        "按领域",
        o.domains
            .iter()
            .map(|(d, f)| (d.label().to_string(), f))
            .collect(),
    )?;
    table("全县", vec![("全县".to_string(), &o.total)])?;
    let ws = wb.add_worksheet();
    ws.set_name("临近或超期公示")?;
    for (c, h) in ["任务编号", "任务", "公示期限", "状态"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, d) in o.deadlines.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_number(r, 0, d.task.id as f64)?;
        ws.write_string(r, 1, &d.task.title)?;
        ws.write_string(r, 2, d.deadline.to_string())?;
        ws.write_string(r, 3, d.flag.label())?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("超过年度上限的主体")?;
    for (c, h) in ["统一社会信用代码", "名称", "本年检查次数", "年度上限"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, e) in o.over_inspected.iter().enumerate() {
        let r = r as u32 + 1;
        // Ids always as text.
        ws.write_string(r, 0, &e.entity_id)?;
        ws.write_string(r, 1, &e.name)?;
        ws.write_number(r, 2, e.count as f64)?;
        ws.write_number(r, 3, e.cap as f64)?;
    }
    wb.save_to_buffer()
}

#[derive(Template)]
#[template(path = "staff/report.html")]
struct ReportPage {
    names: Names,
    department: String,
    year: i32,
    month: u32,
    figures: Figures,
    population: i64,
    deadlines: Vec<liancha_store::oversight::OverdueTask>,
    states: &'static [TaskState],
}

impl ReportPage {
    fn coverage(&self) -> String {
        percent(self.figures.coverage_bp(self.population))
    }
    fn problems(&self) -> String {
        percent(self.figures.problem_bp())
    }
}

/// 通报: one department's month, to print and sign.
pub async fn monthly_report(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, WebError> {
    let department = match (&staff.principal.role, &staff.principal.department) {
        (Role::DepartmentAdmin, Some(d)) => d.clone(),
        _ => {
            staff.require(&Action::ReadOversight)?;
            q.department
                .clone()
                .ok_or_else(|| WebError::BadRequest("请选择部门".into()))?
        }
    };
    let today = china_date(s.clock.now());
    let (year, month) = match q.month.as_deref().and_then(|m| m.split_once('-')) {
        Some((y, m)) => match (y.parse::<i32>(), m.parse::<u32>()) {
            (Ok(y), Ok(m)) if (1..=12).contains(&m) => (y, m),
            _ => return Err(WebError::BadRequest("月份应写作 2026-11".into())),
        },
        None => (today.year(), today.month()),
    };
    let o = staff
        .rows(&s)
        .oversight(year, Some(month), s.clock.now())
        .await?;
    let Some((_, figures)) = o.departments.iter().find(|(d, _)| d.code == department) else {
        return Err(WebError::NotFound(format!("部门 {department}")));
    };
    Ok(Html(
        ReportPage {
            names: Names::load(&s, &staff.county.code).await?,
            figures: figures.clone(),
            population: o.population,
            deadlines: o
                .deadlines
                .iter()
                .filter(|d| d.task.departments().contains(&department))
                .cloned()
                .collect(),
            states: TaskState::ALL,
            department,
            year,
            month,
        }
        .render()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_escapes_labels_and_scales_bars() {
        let html = bar_chart(
            "a<b",
            &[
                ("x&y".into(), 50, "50%".into()),
                ("z".into(), 100, "100%".into()),
            ],
        );
        assert!(html.contains("a&lt;b") && html.contains("x&amp;y"));
        assert!(
            html.contains(r#"max="100" value="50""#) && html.contains(r#"max="100" value="100""#)
        );
        assert!(
            !html.contains("style="),
            "no inline style: the CSP forbids it"
        );
        assert_eq!(percent(1234), "12.34%");
        assert_eq!(percent(5), "0.05%");
    }
}

#[derive(Template)]
#[template(path = "staff/complaints.html")]
struct ComplaintsPage {
    staff: Staff,
    year: i32,
    complaints: Vec<liancha_store::results::VisitComplaint>,
    /// The ratings: how many, stars in all, the newest.
    ratings: (i64, i64, Vec<liancha_store::results::VisitRating>),
    may_handle: bool,
    notice: Option<&'static str>,
    /// A refused answer: the complaint, the message, what was written.
    refused: Option<(i64, String, String)>,
}

impl ComplaintsPage {
    fn refused_for(&self, id: &i64) -> Option<&(i64, String, String)> {
        self.refused.as_ref().filter(|r| r.0 == *id)
    }
    fn stars(&self, n: &i32) -> String {
        liancha_domain::check_in::stars_label(u8::try_from(*n).unwrap_or(0))
    }
    /// The average rating, to one decimal, from integers.
    fn average(&self) -> String {
        let (n, stars, _) = &self.ratings;
        if *n == 0 {
            return "—".into();
        }
        let tenths = (stars * 10 + n / 2) / n;
        format!("{}.{}", tenths / 10, tenths % 10)
    }

    fn open(&self) -> usize {
        self.complaints.iter().filter(|c| !c.handled()).count()
    }
}

#[derive(Deserialize, Default)]
pub struct ComplaintsQuery {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    done: String,
}

async fn complaints_page(
    s: &AppState,
    staff: Staff,
    year: Option<i32>,
    notice: Option<&'static str>,
    refused: Option<(i64, String, String)>,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let year = year.unwrap_or_else(|| china_date(ctx.now).year());
    let complaints = s.app.complaints(&ctx, year).await?;
    let ratings = s.app.ratings(&ctx, year).await?;
    Ok(ComplaintsPage {
        ratings,
        may_handle: s.app.may_handle_complaints(&ctx),
        year,
        complaints,
        notice,
        refused,
        staff,
    }
    .render()?)
}

/// 企业投诉: what entities said through their visit codes, for the oversight office
/// to answer.
pub async fn complaints(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<ComplaintsQuery>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ReadComplaints)?;
    let notice = crate::staff::done_message(&q.done);
    Ok(Html(
        complaints_page(&s, staff, q.year, notice, None).await?,
    ))
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    reply: String,
    #[serde(default)]
    year: Option<i32>,
}

pub async fn handle_complaint(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<ReplyForm>,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    let ctx = staff.context(s.clock.now());
    let year = f.year.map_or(String::new(), |y| format!("year={y}&"));
    match s.app.handle_complaint(&ctx, id, &f.reply).await {
        Ok(()) => Ok(axum::response::Redirect::to(&format!(
            "/staff/oversight/complaints?{year}done=handled#c{id}"
        ))
        .into_response()),
        Err(liancha_app::AppError::Invalid { message, .. }) => {
            let reply: String = f.reply.chars().take(2100).collect();
            let page = complaints_page(&s, staff, f.year, None, Some((id, message, reply))).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(e) => Err(WebError::refused(
            e,
            "/staff/oversight/complaints".to_string(),
        )),
    }
}

impl DashboardPage {
    fn targeted_total(&self) -> i64 {
        self.targeted.iter().sum()
    }
}
