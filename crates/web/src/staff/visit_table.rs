//! The task page's table of visits: filtered by team, state, township and name or
//! code, sorted by a column, 50 a page. A county-wide task draws over a thousand
//! entities, which one table cannot show.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use liancha_domain::workflow::VisitState;
use liancha_store::tasks::{TeamMember, Visit};
use serde::Deserialize;

use crate::pages::{page_of, query_pair};
use crate::session::Staff;
use crate::{AppState, WebError};

/// Visits per page of the task page.
pub const VISITS_PER_PAGE: usize = 50;

/// The task page's query: its notice, and the visit table's filters, sort and page.
#[derive(Deserialize, Default, Debug, Clone)]
pub struct TaskQuery {
    #[serde(default)]
    pub done: String,
    /// Team number.
    #[serde(default)]
    pub team: String,
    /// Visit state code.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub township: String,
    /// Part of the name, or the start of the code.
    #[serde(default)]
    pub q: String,
    /// `order` (draw order, the default), `township`, `team` or `state`. Not by name:
    /// Chinese names in code-point order read as random to a clerk.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
}

/// The columns the table sorts by, with their headings.
pub const SORTS: &[(&str, &str)] = &[
    ("order", "序"),
    ("township", "乡镇"),
    ("team", "检查组"),
    ("state", "状态"),
];

/// One page of the table, and what the page needs to draw its controls.
pub struct VisitTable {
    pub rows: Vec<Visit>,
    /// Visits the filters let through, and all of the task's.
    pub matching: usize,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub teams: Vec<i32>,
    pub townships: Vec<String>,
    pub states: Vec<VisitState>,
    pub query: TaskQuery,
}

/// A township's place in the county's own order; unknown ones last.
fn township_rank(order: &[String], township: &str) -> usize {
    order
        .iter()
        .position(|o| o == township)
        .unwrap_or(usize::MAX)
}

/// Every visit the query's filters let through, in its sort: the whole table,
/// before it is cut into pages (the export is all of it).
pub fn matching(visits: Vec<Visit>, township_order: &[String], query: &TaskQuery) -> Vec<Visit> {
    let rank = |t: &str| township_rank(township_order, t);
    let q = query.q.trim();
    let code = q.to_ascii_uppercase();
    let mut rows: Vec<Visit> = visits
        .into_iter()
        .filter(|v| {
            query.team.is_empty()
                || v.team_no.map(|t| t.to_string()).as_deref() == Some(query.team.as_str())
        })
        .filter(|v| query.state.is_empty() || v.state.code() == query.state)
        .filter(|v| query.township.is_empty() || v.township == query.township)
        .filter(|v| q.is_empty() || v.entity_name.contains(q) || v.entity_id.starts_with(&code))
        .collect();
    // Stable, then by draw order: rows that tie keep the draw's order.
    rows.sort_by_key(|v| v.draw_order);
    match query.sort.as_str() {
        "township" => rows.sort_by_key(|v| rank(&v.township)),
        // Unassigned visits (no team) last.
        "team" => rows.sort_by_key(|v| v.team_no.unwrap_or(i32::MAX)),
        "state" => rows.sort_by_key(|v| {
            VisitState::ALL
                .iter()
                .position(|s| *s == v.state)
                .unwrap_or(usize::MAX)
        }),
        _ => {}
    }
    rows
}

impl VisitTable {
    /// `township_order`: the county's townships in its own order, which the filter
    /// lists and the township sort follow (code points would order them at random).
    pub fn new(visits: Vec<Visit>, township_order: &[String], query: &TaskQuery) -> Self {
        let total = visits.len();
        let mut teams: Vec<i32> = visits.iter().filter_map(|v| v.team_no).collect();
        teams.sort_unstable();
        teams.dedup();
        let rank = |t: &str| township_rank(township_order, t);
        let mut townships: Vec<String> = visits.iter().map(|v| v.township.clone()).collect();
        townships.sort_by(|a, b| (rank(a), a).cmp(&(rank(b), b)));
        townships.dedup();
        let states: Vec<VisitState> = VisitState::ALL
            .iter()
            .copied()
            .filter(|s| visits.iter().any(|v| v.state == *s))
            .collect();
        let rows = matching(visits, township_order, query);
        let matching = rows.len();
        let (rows, page, pages) = page_of(rows, &query.page, VISITS_PER_PAGE);
        VisitTable {
            rows,
            matching,
            total,
            page,
            pages,
            teams,
            townships,
            states,
            query: query.clone(),
        }
    }

    /// Whether any filter is set.
    pub fn filtered(&self) -> bool {
        let q = &self.query;
        !(q.team.is_empty() && q.state.is_empty() && q.township.is_empty() && q.q.trim().is_empty())
    }

    /// This table's filters, `sort` and `page` as a query string (`?…`, or empty).
    fn query_string(&self, sort: &str, page: usize) -> String {
        let q = &self.query;
        let mut out = String::new();
        query_pair(&mut out, "team", &q.team);
        query_pair(&mut out, "state", &q.state);
        query_pair(&mut out, "township", &q.township);
        query_pair(&mut out, "q", q.q.trim());
        if sort != "order" {
            query_pair(&mut out, "sort", sort);
        }
        if page > 1 {
            query_pair(&mut out, "page", &page.to_string());
        }
        if out.is_empty() {
            out
        } else {
            format!("?{out}")
        }
    }

    /// The task page's address with this table's filters, `sort` and `page`.
    pub fn link(
        &self,
        task: impl std::borrow::Borrow<i64>,
        sort: &str,
        page: impl std::borrow::Borrow<usize>,
    ) -> String {
        let query = self.query_string(sort, *page.borrow());
        format!("/staff/tasks/{}{query}#visits", task.borrow())
    }

    /// The export of this table: its filters and sort, no page.
    pub fn export_link(&self, task: impl std::borrow::Borrow<i64>) -> String {
        let query = self.query_string(self.sort(), 1);
        format!("/staff/tasks/{}/visits.xlsx{query}", task.borrow())
    }

    /// The sort in force (`order` when none or an unknown one is asked).
    pub fn sort(&self) -> &str {
        let s = self.query.sort.as_str();
        if SORTS.iter().any(|(k, _)| *k == s) {
            s
        } else {
            "order"
        }
    }
}

/// 导出: the visit table as the page shows it (filters and sort), every page of
/// it, with each team's members, for the clerk who sends the teams out.
pub async fn export_visits(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<TaskQuery>,
) -> Result<Response, WebError> {
    let (task, _) = super::load_task(&s, &staff, id).await?;
    let members = staff.rows(&s).team_members(id).await?;
    let visits = super::task::visible_visits(&s, &staff, id, &members).await?;
    let order = super::task::township_order(&s, &staff).await?;
    let rows = matching(visits, &order, &q);
    let bytes = visits_xlsx(&task.title, &rows, &members)
        .map_err(|e| WebError::Render(askama::Error::Custom(Box::new(e))))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"task-{id}-visits.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn visits_xlsx(
    title: &str,
    rows: &[Visit],
    members: &[TeamMember],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("检查对象")?;
    ws.write_string_with_format(0, 0, title, &bold)?;
    let headers = [
        "序号",
        "检查对象",
        "统一社会信用代码",
        "乡镇",
        "地址",
        "检查组",
        "组员",
        "核验码",
        "状态",
        "检查日期",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    for (c, w) in [(1, 30.0), (2, 22.0), (4, 30.0), (6, 30.0)] {
        ws.set_column_width(c, w)?;
    }
    for (r, v) in rows.iter().enumerate() {
        let r = r as u32 + 2;
        ws.write_number(r, 0, f64::from(v.draw_order))?;
        ws.write_string(r, 1, &v.entity_name)?;
        ws.write_string(r, 2, &v.entity_id)?;
        ws.write_string(r, 3, &v.township)?;
        ws.write_string(r, 4, &v.address)?;
        if let Some(t) = v.team_no {
            ws.write_number(r, 5, f64::from(t))?;
            let names: Vec<&str> = members
                .iter()
                .filter(|m| m.team_no == t && m.active)
                .map(|m| m.name.as_str())
                .collect();
            ws.write_string(r, 6, names.join("、"))?;
        }
        ws.write_string(r, 7, &v.check_code)?;
        ws.write_string(r, 8, v.state.label())?;
        if let Some(d) = v.inspected_on {
            ws.write_string(r, 9, d.to_string())?;
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(
        order: i32,
        name: &str,
        township: &str,
        team: Option<i32>,
        state: VisitState,
    ) -> Visit {
        Visit {
            task_id: 1,
            entity_id: format!("9153232300000000{order:02}"),
            entity_name: name.into(),
            township: township.into(),
            address: String::new(),
            draw_order: order,
            team_no: team,
            state,
            check_code: String::new(),
            notice_number: String::new(),
            inspected_on: None,
            submitted_at: None,
            return_note: None,
            replaced_by: None,
            replace_reason: None,
        }
    }

    fn all() -> Vec<Visit> {
        use VisitState::*;
        vec![
            visit(1, "丙商店", "共和镇", Some(2), Pending),
            visit(2, "甲餐馆", "新桥镇", Some(1), Submitted),
            visit(3, "乙药店", "共和镇", Some(1), Pending),
            visit(4, "丁超市", "江坡镇", None, Pending),
        ]
    }

    fn order() -> Vec<String> {
        ["新桥镇", "共和镇", "江坡镇"].map(String::from).to_vec()
    }

    fn names(t: &VisitTable) -> Vec<&str> {
        t.rows.iter().map(|v| v.entity_name.as_str()).collect()
    }

    #[test]
    fn filters_combine_and_sorting_keeps_the_draw_order_among_ties() {
        let q = TaskQuery::default();
        let t = VisitTable::new(all(), &order(), &q);
        assert_eq!(names(&t), ["丙商店", "甲餐馆", "乙药店", "丁超市"]);
        assert_eq!(
            (t.teams.clone(), t.townships.len(), t.states.len()),
            (vec![1, 2], 3, 2)
        );
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                team: "1".into(),
                ..q.clone()
            },
        );
        assert_eq!(names(&t), ["甲餐馆", "乙药店"]);
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                team: "1".into(),
                state: "pending".into(),
                ..q.clone()
            },
        );
        assert_eq!(names(&t), ["乙药店"]);
        assert!(t.filtered());
        assert_eq!((t.matching, t.total), (1, 4));
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                q: "91532323000000000".into(),
                ..q.clone()
            },
        );
        assert_eq!(names(&t), ["丙商店", "甲餐馆", "乙药店", "丁超市"]);
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                q: " 餐 ".into(),
                ..q.clone()
            },
        );
        assert_eq!(names(&t), ["甲餐馆"]);
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                sort: "township".into(),
                ..q.clone()
            },
        );
        // In the county's order of townships, not by code point.
        assert_eq!(names(&t), ["甲餐馆", "丙商店", "乙药店", "丁超市"]);
        assert_eq!(t.townships, ["新桥镇", "共和镇", "江坡镇"]);
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                sort: "team".into(),
                ..q.clone()
            },
        );
        assert_eq!(names(&t), ["甲餐馆", "乙药店", "丙商店", "丁超市"]);
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                sort: "state".into(),
                ..q.clone()
            },
        );
        assert_eq!(names(&t), ["丙商店", "乙药店", "丁超市", "甲餐馆"]);
        let t = VisitTable::new(
            all(),
            &order(),
            &TaskQuery {
                sort: "nonsense".into(),
                ..q
            },
        );
        assert_eq!(t.sort(), "order");
    }

    #[test]
    fn links_keep_the_filters_and_page_through_a_county_wide_task() {
        let many: Vec<Visit> = (1..=120)
            .map(|i| {
                visit(
                    i,
                    &format!("商店{i:03}"),
                    "共和镇",
                    Some(1 + i % 3),
                    VisitState::Pending,
                )
            })
            .collect();
        let q = TaskQuery {
            team: "2".into(),
            page: "2".into(),
            ..TaskQuery::default()
        };
        let t = VisitTable::new(many, &order(), &q);
        assert_eq!((t.matching, t.page, t.pages), (40, 1, 1));
        let many: Vec<Visit> = (1..=120)
            .map(|i| {
                visit(
                    i,
                    &format!("商店{i:03}"),
                    "共和镇",
                    Some(1),
                    VisitState::Pending,
                )
            })
            .collect();
        let t = VisitTable::new(
            many,
            &order(),
            &TaskQuery {
                page: "3".into(),
                q: "商店".into(),
                ..TaskQuery::default()
            },
        );
        assert_eq!((t.rows.len(), t.page, t.pages), (20, 3, 3));
        assert_eq!(t.rows[0].draw_order, 101);
        assert_eq!(
            t.link(7, "state", 2),
            format!(
                "/staff/tasks/7?q={}&sort=state&page=2#visits",
                crate::pages::url_encode("商店")
            )
        );
        assert_eq!(
            t.link(7, "order", 1),
            format!(
                "/staff/tasks/7?q={}#visits",
                crate::pages::url_encode("商店")
            )
        );
    }
}
