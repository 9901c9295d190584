//! The task list and the task form: creating and editing a draft task.

use super::*;
use crate::setup::FormError;

#[derive(Template)]
#[template(path = "staff/tasks.html")]
struct TasksPage {
    staff: Staff,
    names: Names,
    rows: Vec<TaskRow>,
    can_create: bool,
    query: TasksQuery,
    base: String,
    total: i64,
    page: i64,
    pages: i64,
    years: Vec<i32>,
    domains: &'static [Domain],
    states: &'static [TaskState],
}

impl TasksPage {
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = format!("page={}", page.borrow());
        crate::directory::link("/staff/tasks", &self.base, &page)
    }

    fn export_link(&self, format: &str) -> String {
        let format = format!("format={format}");
        crate::directory::link("/staff/tasks/export", &self.base, &format)
    }
}

/// The task list's search, sort and page, as the query string says.
#[derive(Deserialize, Default, Clone)]
pub struct TasksQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

impl TasksQuery {
    fn base(&self) -> String {
        crate::directory::query_string(&[
            ("q", &self.q),
            ("year", &self.year),
            ("domain", &self.domain),
            ("state", &self.state),
            ("department", &self.department),
            ("sort", &self.sort),
        ])
    }

    /// The rows it finds, in its order: newest first unless asked otherwise.
    fn apply(&self, mut rows: Vec<TaskRow>) -> Vec<TaskRow> {
        let text = self.q.trim().to_lowercase();
        let year: Option<i32> = self.year.trim().parse().ok();
        let domain = Domain::from_code(&self.domain);
        let state = TaskState::from_code(&self.state);
        let department = self.department.trim();
        rows.retain(|r| {
            (text.is_empty()
                || r.task.title.to_lowercase().contains(&text)
                || r.task.id.to_string() == text
                || r.task.number.contains(self.q.trim())
                || r.task.national_code.to_lowercase() == text)
                && year.is_none_or(|y| r.task.year == y)
                && domain.is_none_or(|d| r.task.domain == d)
                && state.is_none_or(|s| r.task.state == s)
                && (department.is_empty() || r.task.departments().iter().any(|d| d == department))
        });
        match self.sort.as_str() {
            "start" => rows.sort_by(|a, b| {
                (a.task.inspection_start, a.task.id).cmp(&(b.task.inspection_start, b.task.id))
            }),
            // Those with a deadline first, the nearest at the top.
            "deadline" => rows.sort_by(|a, b| {
                (a.deadline.is_none(), a.deadline, a.task.id).cmp(&(
                    b.deadline.is_none(),
                    b.deadline,
                    b.task.id,
                ))
            }),
            _ => rows.sort_by_key(|r| std::cmp::Reverse(r.task.id)),
        }
        rows
    }
}

pub async fn tasks(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<TasksQuery>,
) -> PageResult {
    let can_create = s.app.may_create_task(&staff.context(s.clock.now()));
    let all = task_rows(&s, &staff).await?;
    let mut years: Vec<i32> = all.iter().map(|r| r.task.year).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let crate::directory::Paged {
        rows,
        total,
        page,
        pages,
    } = crate::directory::paged(query.apply(all), &query.page);
    render(&TasksPage {
        names: Names::load(&s, &staff.county.code).await?,
        base: query.base(),
        rows,
        can_create,
        query,
        total,
        page,
        pages,
        years,
        domains: Domain::ALL,
        states: TaskState::ALL,
        staff,
    })
}

/// The task list as the page's search finds it, as a spreadsheet (CSV or XLSX).
pub async fn export_tasks(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<TasksQuery>,
) -> Result<Response, WebError> {
    use crate::api::table::{FileFormat, Table, row};
    let names = Names::load(&s, &staff.county.code).await?;
    let rows = query.apply(task_rows(&s, &staff).await?);
    let table = Table {
        file: "tasks".into(),
        title: format!("{}联合抽查任务", staff.county_name()),
        headers: &[
            "编号",
            "任务",
            "年度",
            "领域",
            "牵头部门",
            "参与部门",
            "检查开始",
            "检查截止",
            "状态",
            "公示期限",
            "期限情况",
            "任务文号",
            "抽查任务编码",
        ],
        rows: rows
            .iter()
            .map(|r| {
                let t = &r.task;
                row![
                    t.id,
                    t.title.as_str(),
                    t.year,
                    t.domain.label(),
                    names.dept(&t.lead_department),
                    t.departments()
                        .iter()
                        .map(|d| names.dept(d))
                        .collect::<Vec<_>>()
                        .join("、"),
                    t.inspection_start.to_string(),
                    t.inspection_end.to_string(),
                    t.state.label(),
                    r.deadline.map(|d| d.to_string()),
                    r.flag.map(|f| f.label().to_string()),
                    t.number.as_str(),
                    t.national_code.as_str(),
                ]
            })
            .collect(),
    };
    let format = if query.format == "csv" {
        FileFormat::Csv
    } else {
        FileFormat::Xlsx
    };
    Ok(table.download(format).into_response())
}

#[derive(Template)]
#[template(path = "staff/task_form.html")]
struct TaskFormPage {
    staff: Staff,
    names: Names,
    items: Vec<Item>,
    townships: Vec<String>,
    domains: &'static [Domain],
    modes: &'static [TaskMode],
    types: &'static [EntityType],
    classes: &'static [RiskClass],
    f: TaskForm,
    /// Why the form was refused, each beside its field (or above the form).
    errors: Vec<FormError>,
}

impl TaskFormPage {
    /// The messages of `field`, joined (askama passes arguments by reference).
    fn err(&self, field: &str) -> Option<String> {
        let m: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.on(field))
            .map(|e| e.message.as_str())
            .collect();
        (!m.is_empty()).then(|| m.join("；"))
    }

    /// Messages of no field the form shows: said above the form.
    fn general_errors(&self) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|e| !FIELDS.contains(&e.field.as_str()))
            .map(|e| e.message.as_str())
            .collect()
    }

    fn invalid(&self, field: &str) -> &'static str {
        if self.errors.iter().any(|e| e.on(field)) {
            " aria-invalid=\"true\""
        } else {
            ""
        }
    }

    fn items_of(&self, department: &str) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.department == department)
            .collect()
    }
}

/// The task form as posted. Lists come from repeated keys (check boxes).
#[derive(Deserialize, Clone, Default)]
pub struct TaskForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub lead_department: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub townships: Vec<String>,
    #[serde(default)]
    pub entity_types: Vec<String>,
    #[serde(default)]
    pub risk_classes: Vec<String>,
    #[serde(default)]
    pub industry_sections: String,
    #[serde(default)]
    pub tags: String,
    /// `rule-book`, `ratio` or `count`.
    #[serde(default)]
    pub quota_kind: String,
    #[serde(default)]
    pub quota_a: String,
    #[serde(default)]
    pub quota_b: String,
    #[serde(default)]
    pub quota_c: String,
    #[serde(default)]
    pub quota_d: String,
    #[serde(default)]
    pub team_count: String,
    #[serde(default)]
    pub team_size: String,
    #[serde(default)]
    pub avoid_same_township: Option<String>,
    #[serde(default)]
    pub inspection_start: String,
    #[serde(default)]
    pub inspection_end: String,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub plan_entry: Option<i64>,
}

impl TaskForm {
    fn has(&self, list: &str, v: &str) -> bool {
        let l = match list {
            "items" => &self.items,
            "townships" => &self.townships,
            "entity_types" => &self.entity_types,
            _ => &self.risk_classes,
        };
        l.iter().any(|x| x == v)
    }

    /// The form as a task, or every field that cannot be read, each with its reason.
    fn parse(&self) -> Result<NewTask, Vec<FormError>> {
        let mut errors: Vec<FormError> = Vec::new();
        let mut fail = |field: &str, message: String| {
            errors.push(FormError {
                field: field.into(),
                message,
            })
        };
        let int = |s: &str| s.trim().parse::<u32>().ok();
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let mut quota = [0u32; 4];
        let scale = match self.quota_kind.as_str() {
            "ratio" => Some(100),
            "count" => Some(1),
            _ => None,
        };
        if let Some(scale) = scale {
            for (i, (v, field)) in [
                (&self.quota_a, "quota_a"),
                (&self.quota_b, "quota_b"),
                (&self.quota_c, "quota_c"),
                (&self.quota_d, "quota_d"),
            ]
            .into_iter()
            .enumerate()
            {
                let class = ["A", "B", "C", "D"][i];
                let read = if v.trim().is_empty() {
                    Some(0)
                } else if scale == 100 {
                    // Percent with up to two decimals, kept as basis points.
                    parse_percent_bp(v)
                } else {
                    int(v)
                };
                match read {
                    Some(n) => quota[i] = n,
                    None if scale == 100 => fail(
                        field,
                        format!("{class} 类比例须为 0–100 之间的数，最多两位小数"),
                    ),
                    None => fail(field, format!("{class} 类抽取户数须为整数")),
                }
            }
        }
        let list = |s: &str| -> Vec<String> {
            s.split([',', '，', '、', ' '])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        };
        let year = self.year.trim().parse().ok();
        if year.is_none() {
            fail("year", "年度须为四位数字".into());
        }
        let domain = Domain::from_code(&self.domain);
        if domain.is_none() {
            fail("domain", "请选择领域".into());
        }
        let mode = TaskMode::from_code(&self.mode);
        if mode.is_none() {
            fail("mode", "请选择检查模式".into());
        }
        let team_count = int(&self.team_count);
        if team_count.is_none() {
            fail("team_count", "检查组数量须为整数".into());
        }
        let team_size = int(&self.team_size);
        if team_size.is_none() {
            fail("team_size", "每组人数须为整数".into());
        }
        let start = date(&self.inspection_start);
        if start.is_none() {
            fail(
                "inspection_start",
                "检查开始日期须为日期，如 2026-03-02".into(),
            );
        }
        let end = date(&self.inspection_end);
        if end.is_none() {
            fail(
                "inspection_end",
                "检查结束日期须为日期，如 2026-03-02".into(),
            );
        }
        if self.title.trim().is_empty() {
            fail("title", "请填写任务名称".into());
        }
        if self.items.is_empty() {
            fail("items", "请至少选择一项抽查事项".into());
        }
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            fail("inspection_end", "检查结束日期不能早于开始日期".into());
        }
        let (
            Some(year),
            Some(domain),
            Some(mode),
            Some(team_count),
            Some(team_size),
            Some(inspection_start),
            Some(inspection_end),
        ) = (year, domain, mode, team_count, team_size, start, end)
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewTask {
            year,
            title: self.title.clone(),
            domain,
            mode,
            lead_department: self.lead_department.clone(),
            items: self.items.clone(),
            scope: TaskScopeFilter {
                townships: self.townships.clone(),
                entity_types: self.entity_types.clone(),
                risk_classes: self.risk_classes.clone(),
                industry_sections: list(&self.industry_sections.to_ascii_uppercase()),
                tags: list(&self.tags),
            },
            quotas: match self.quota_kind.as_str() {
                "ratio" => QuotaSpec::RatioBp(quota),
                "count" => QuotaSpec::Count(quota),
                _ => QuotaSpec::RuleBook,
            },
            team_count,
            team_size,
            avoid_same_township: self.avoid_same_township.is_some(),
            inspection_start,
            inspection_end,
            plan_entry_id: self.plan_entry,
        })
    }

    fn from_task(t: &Task) -> TaskForm {
        let (kind, q) = match t.quotas {
            QuotaSpec::RuleBook => ("rule-book", [0; 4]),
            QuotaSpec::RatioBp(q) => ("ratio", q),
            QuotaSpec::Count(q) => ("count", q),
        };
        let show = |v: u32| {
            if kind == "ratio" {
                format_bp(&v)
            } else {
                v.to_string()
            }
        };
        TaskForm {
            title: t.title.clone(),
            year: t.year.to_string(),
            domain: t.domain.code().into(),
            mode: t.mode.code().into(),
            lead_department: t.lead_department.clone(),
            items: t.items.iter().map(|i| i.code.clone()).collect(),
            townships: t.scope.townships.clone(),
            entity_types: t.scope.entity_types.clone(),
            risk_classes: t.scope.risk_classes.clone(),
            industry_sections: t.scope.industry_sections.join(","),
            tags: t.scope.tags.join(","),
            quota_kind: kind.into(),
            quota_a: show(q[0]),
            quota_b: show(q[1]),
            quota_c: show(q[2]),
            quota_d: show(q[3]),
            team_count: t.team_count.to_string(),
            team_size: t.team_size.to_string(),
            avoid_same_township: t.avoid_same_township.then(|| "on".into()),
            inspection_start: t.inspection_start.to_string(),
            inspection_end: t.inspection_end.to_string(),
            version: Some(t.version),
            plan_entry: t.plan_entry_id,
        }
    }
}

/// "2.5" → 250 bp; at most two decimals, 0–100.
pub fn parse_percent_bp(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2
        || whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    let bp = whole.checked_mul(100)?.checked_add(frac)?;
    (bp <= 10_000).then_some(bp)
}

pub fn format_bp(bp: &u32) -> String {
    let bp = *bp;
    if bp.is_multiple_of(100) {
        format!("{}", bp / 100)
    } else {
        format!("{}.{:02}", bp / 100, bp % 100)
            .trim_end_matches('0')
            .to_string()
    }
}

async fn task_form_page(
    s: &AppState,
    staff: Staff,
    f: TaskForm,
    errors: Vec<FormError>,
) -> Result<Response, WebError> {
    let status = if !errors.is_empty() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = TaskFormPage {
        names: Names::load(s, &staff.county.code).await?,
        items: staff.rows(s).items(true).await?,
        townships: staff
            .rows(s)
            .townships()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        domains: Domain::ALL,
        modes: TaskMode::ALL,
        types: EntityType::ALL,
        classes: RiskClass::ALL,
        f,
        errors,
        staff,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize, Default)]
pub struct NewTaskQuery {
    #[serde(default)]
    entry: Option<i64>,
}

pub async fn new_task(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<NewTaskQuery>,
) -> Result<Response, WebError> {
    if !s.app.may_create_task(&staff.context(s.clock.now())) {
        return Err(WebError::Forbidden);
    }
    let today = china_date(s.clock.now());
    let names = Names::load(&s, &staff.county.code).await?;
    let (domain, lead_department) = default_lead(&names, staff.principal.department.as_deref());
    let f = TaskForm {
        year: chrono::Datelike::year(&today).to_string(),
        domain: domain.code().into(),
        mode: TaskMode::Comprehensive.code().into(),
        lead_department,
        quota_kind: "rule-book".into(),
        team_count: "4".into(),
        team_size: "2".into(),
        avoid_same_township: Some("on".into()),
        // From today: results are refused before the start, and the draw is usually
        // held the day the inspections begin.
        inspection_start: today.to_string(),
        inspection_end: (today + chrono::Duration::days(30)).to_string(),
        ..TaskForm::default()
    };
    // From a planned task of a published annual plan.
    let f = match q.entry {
        None => f,
        Some(entry) => match staff.rows(&s).plan_entry(entry).await? {
            Some((plan, e)) if plan.published_at.is_some() => TaskForm {
                title: format!("{}（{}月）", e.title, e.month),
                year: plan.year.to_string(),
                domain: plan.domain.code().into(),
                lead_department: if staff.principal.department.is_none() {
                    plan.lead_department.clone()
                } else {
                    f.lead_department.clone()
                },
                items: e.items.clone(),
                plan_entry: Some(e.id),
                ..f
            },
            _ => {
                return Err(WebError::NotFound(format!(
                    "已公布计划中的计划任务 {entry}"
                )));
            }
        },
    };
    task_form_page(&s, staff, f, vec![]).await
}

pub async fn create_task(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<TaskForm>,
) -> Result<Response, WebError> {
    // Who may not create tasks is told so before anything about the form.
    if !s
        .app
        .may_create_task_for(&staff.context(s.clock.now()), &f.lead_department)
    {
        return Err(WebError::Forbidden);
    }
    let parsed = match f.parse() {
        Ok(t) => t,
        Err(errors) => return task_form_page(&s, staff, f, errors).await,
    };
    match s
        .app
        .create_task(&staff.context(s.clock.now()), &parsed)
        .await
    {
        Ok(id) => Ok(see_other(format!("/staff/tasks/{id}?done=created"))),
        Err(e @ liancha_app::AppError::Invalid { .. }) => {
            task_form_page(&s, staff, f, vec![FormError::of(e)?]).await
        }
        Err(e) => Err(WebError::refused(e, "/staff/tasks".into())),
    }
}

pub async fn edit_task(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let task = s
        .app
        .editable_task(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, format!("/staff/tasks/{id}")))?;
    task_form_page(&s, staff, TaskForm::from_task(&task), vec![]).await
}

pub async fn update_task(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<TaskForm>,
) -> Result<Response, WebError> {
    // Who may not edit this task, or a task no longer editable, is told so before
    // anything about the form.
    s.app
        .editable_task(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, format!("/staff/tasks/{id}")))?;
    let parsed = match f.parse() {
        Ok(t) => t,
        Err(errors) => return task_form_page(&s, staff, f, errors).await,
    };
    let version = f.version.unwrap_or(0);
    match s
        .app
        .update_task(&staff.context(s.clock.now()), id, version, &parsed)
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=updated"))),
        // Sealed meanwhile, too: the form comes back with what was typed.
        Err(e @ (liancha_app::AppError::Invalid { .. } | liancha_app::AppError::WrongState(_))) => {
            task_form_page(&s, staff, f, vec![FormError::of(e)?]).await
        }
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

/// The form's fields that show their own errors.
const FIELDS: &[&str] = &[
    "title",
    "year",
    "domain",
    "mode",
    "lead_department",
    "inspection_start",
    "inspection_end",
    "items",
    "townships",
    "entity_types",
    "risk_classes",
    "industry_sections",
    "tags",
    "quota_kind",
    "quota_a",
    "quota_b",
    "quota_c",
    "quota_d",
    "team_count",
    "team_size",
];

/// A new task's domain and lead department: a department's own, or for the
/// coordinator the market domain and the department that leads it (the first of that
/// domain), so that the lead follows the domain from the start.
pub(crate) fn default_lead(names: &Names, own: Option<&str>) -> (Domain, String) {
    let all = names.all();
    match own {
        Some(code) => (
            all.iter()
                .find(|d| d.code == code)
                .map_or(Domain::Market, |d| d.domain),
            code.to_string(),
        ),
        None => (
            Domain::Market,
            all.iter()
                .find(|d| d.domain == Domain::Market)
                .or(all.first())
                .map(|d| d.code.clone())
                .unwrap_or_default(),
        ),
    }
}

#[cfg(test)]
mod lead_tests {
    use super::*;

    fn dept(code: &str, domain: Domain) -> Department {
        Department {
            code: code.into(),
            name: code.into(),
            domain,
        }
    }

    #[test]
    fn the_lead_follows_the_domain() {
        let names = Names::of(vec![
            dept("agri", Domain::Agriculture),
            dept("amr", Domain::Market),
        ]);
        assert_eq!(default_lead(&names, None), (Domain::Market, "amr".into()));
        assert_eq!(
            default_lead(&names, Some("agri")),
            (Domain::Agriculture, "agri".into())
        );
        assert_eq!(
            default_lead(&Names::of(vec![]), None),
            (Domain::Market, String::new())
        );
    }
}
