//! The reviewer's sheet: every visit of a task with its results, filtered, with the
//! return form per visit and the department's approval; and its export.

use liancha_app::review_sheet::{ReviewSheet, SheetFilter, SheetLine};

use super::*;

#[derive(Template)]
#[template(path = "staff/review.html")]
struct ReviewPage {
    staff: Staff,
    names: Names,
    sheet: ReviewSheet,
    filter: SheetFilter,
    /// The principal's department has approved its items' results already.
    approved: bool,
    notice: Option<&'static str>,
}

impl ReviewPage {
    fn filters(&self) -> &[(SheetFilter, usize)] {
        &self.sheet.counts
    }

    fn item_name(&self, code: &str) -> String {
        self.sheet
            .task
            .items
            .iter()
            .find(|i| i.code == code)
            .map_or_else(|| code.to_string(), |i| i.name.clone())
    }

    /// Whether the item is one of the departments' the principal reviews.
    fn is_mine(&self, code: &str) -> bool {
        self.sheet
            .task
            .items
            .iter()
            .any(|i| i.code == code && Some(&i.department) == self.sheet.review_department.as_ref())
    }
}

/// The category labels of a result, joined.
pub fn categories(r: &ItemResult) -> String {
    r.categories
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join("、")
}

/// Whether any category of a result is a problem.
pub fn problem(r: &ItemResult) -> bool {
    r.categories.iter().any(|c| c.is_problem())
}

#[derive(Deserialize, Default)]
pub struct SheetQuery {
    #[serde(default)]
    show: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    done: String,
}

pub async fn review_sheet(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<SheetQuery>,
) -> Result<Response, WebError> {
    // An unknown filter shows everything rather than refusing a bookmarked link.
    let filter = SheetFilter::parse(&q.show).unwrap_or_default();
    let ctx = staff.context(s.clock.now());
    let sheet = s.app.review_sheet(&ctx, id, filter).await?;
    if q.format == "xlsx" {
        return xlsx(&sheet, &Names::load(&s, &staff.county.code).await?);
    }
    let approved = match &sheet.review_department {
        Some(d) => staff
            .rows(&s)
            .reviews(id)
            .await?
            .iter()
            .any(|r| &r.department == d && r.approved_at.is_some()),
        None => false,
    };
    Ok(render(&ReviewPage {
        names: Names::load(&s, &staff.county.code).await?,
        sheet,
        filter,
        approved,
        notice: (q.done == "returned").then_some("已退回该户，检查组修改后重新提交。"),
        staff,
    })?
    .into_response())
}

fn xlsx(sheet: &ReviewSheet, names: &Names) -> Result<Response, WebError> {
    use rust_xlsxwriter::{Format, Workbook};
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet();
        ws.set_name("检查结果")?;
        let mut headers: Vec<String> = [
            "序号",
            "检查对象",
            "统一社会信用代码",
            "乡镇",
            "风险分类",
            "检查组",
            "状态",
            "检查日期",
            "发现问题",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect();
        for i in &sheet.task.items {
            headers.push(format!("{}（{}）结果", i.name, names.dept(&i.department)));
            headers.push(format!("{} 问题描述", i.name));
        }
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
        }
        ws.set_column_width(1, 30)?;
        ws.set_column_width(2, 22)?;
        for (r, l) in sheet.lines.iter().enumerate() {
            write_line(ws, r as u32 + 1, l)?;
        }
        wb.save_to_buffer()
    };
    let bytes = build().map_err(|e| WebError::BadRequest(format!("无法生成表格：{e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"task-{}-results.xlsx\"",
                    sheet.task.id
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn write_line(
    ws: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    l: &SheetLine,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let v = &l.visit;
    ws.write_number(r, 0, f64::from(v.draw_order))?;
    ws.write_string(r, 1, &v.entity_name)?;
    ws.write_string(r, 2, &v.entity_id)?;
    ws.write_string(r, 3, &v.township)?;
    ws.write_string(r, 4, l.risk_class.map_or("", |c| c.label()))?;
    if let Some(t) = v.team_no {
        ws.write_number(r, 5, f64::from(t))?;
    }
    ws.write_string(r, 6, v.state.label())?;
    if let Some(d) = v.inspected_on {
        ws.write_string(r, 7, d.to_string())?;
    }
    ws.write_string(r, 8, if l.has_problem { "是" } else { "否" })?;
    for (i, (_, res)) in l.results.iter().enumerate() {
        let c = 9 + 2 * i as u16;
        if let Some(res) = res {
            ws.write_string(r, c, categories(res))?;
            ws.write_string(r, c + 1, &res.findings)?;
        }
    }
    Ok(())
}
