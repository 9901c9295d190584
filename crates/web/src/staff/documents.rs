//! Printable documents of a task: inspection notices, record forms and result
//! notices.

use super::*;

#[derive(Template)]
#[template(path = "staff/documents.html")]
struct DocumentsPage {
    names: Names,
    task: Task,
    visits: Vec<Visit>,
    teams: BTreeMap<i32, Vec<TeamMember>>,
    categories: &'static [ResultCategory],
    methods: &'static [InspectionMethod],
    forms: bool,
    /// The record form's check points, each asked once (一表通查).
    questions: Vec<super::points::QuestionView>,
    /// `http://host` the notice's QR code points to.
    origin: String,
    /// The notices' date: the day of the draw that chose their entities.
    issued: chrono::NaiveDate,
    /// Documents of the whole pile (all pages), this batch's place in it, and the
    /// team asked for, which the batch links keep.
    total: usize,
    page: usize,
    pages: usize,
    team: Option<i32>,
    /// A notice's facts: the items' legal basis, the year's inspections and cap.
    facts: Option<liancha_app::documents::NoticeFacts>,
    /// Result notices: each published visit's results by item.
    results: Option<BTreeMap<String, BTreeMap<String, liancha_store::results::ItemResult>>>,
}

/// Which documents a page or file holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Notices,
    Forms,
    Results,
}

impl Kind {
    /// The page's path under the task, and its PDF's.
    fn paths(self) -> (&'static str, &'static str) {
        match self {
            Kind::Notices => ("notices", "notices.pdf"),
            Kind::Forms => ("forms", "forms.pdf"),
            Kind::Results => ("result-notices", "results.pdf"),
        }
    }
}

/// Documents per page: a county-wide task draws 1,500 entities, whose notices on
/// one page took a second to make (half a millisecond a QR code, most of it the
/// encoder choosing the best mask) and froze the browser that was to print them.
/// A clerk prints the pile in batches of this many.
pub const DOCUMENTS_PER_PAGE: usize = 50;

impl DocumentsPage {
    /// The first and last document of this batch, counted in the whole pile.
    fn range(&self) -> (usize, usize) {
        let first = (self.page - 1) * DOCUMENTS_PER_PAGE + 1;
        (first, first + self.visits.len().saturating_sub(1))
    }

    /// The address of another batch of the same pile.
    fn batch(&self, page: impl std::borrow::Borrow<usize>) -> String {
        let page = *page.borrow();
        let kind = self.kind().paths().0;
        let mut q = String::new();
        if let Some(t) = self.team {
            crate::pages::query_pair(&mut q, "team", &t.to_string());
        }
        if page > 1 {
            crate::pages::query_pair(&mut q, "page", &page.to_string());
        }
        let sep = if q.is_empty() { "" } else { "?" };
        format!("/staff/tasks/{}/{kind}{sep}{q}", self.task.id)
    }

    fn kind(&self) -> Kind {
        match (self.forms, self.results.is_some()) {
            (true, _) => Kind::Forms,
            (false, true) => Kind::Results,
            (false, false) => Kind::Notices,
        }
    }

    /// An item's result in a result notice: its categories, and the problem
    /// described where one was found.
    fn told(&self, entity: &str, item: &str) -> (String, String) {
        let r = self
            .results
            .as_ref()
            .and_then(|r| r.get(entity))
            .and_then(|r| r.get(item));
        result_cells(r)
    }

    /// The result notice's opening paragraph for a visit.
    fn told_intro(&self, v: &Visit) -> String {
        result_intro(&self.task, v)
    }

    fn told_published(&self) -> String {
        result_published(&self.task)
    }

    /// Whether a visit's results found a problem (the notice then asks for it to
    /// be put right).
    fn told_problem(&self, entity: &str) -> bool {
        self.results
            .as_ref()
            .and_then(|r| r.get(entity))
            .is_some_and(|r| {
                r.values()
                    .any(|r| r.categories.iter().any(|c| c.is_problem()))
            })
    }

    /// The result notice's date: the day the results were published.
    fn told_date(&self) -> String {
        self.task
            .published_at
            .map(|t| {
                liancha_domain::calendar::chinese_date(liancha_domain::calendar::china_date(t))
            })
            .unwrap_or_default()
    }

    fn remedy(&self) -> String {
        liancha_domain::documents::result_remedy()
    }

    /// The notices' wording of the entity's rights, with their marks.
    fn rights(&self) -> Vec<(String, &'static str)> {
        liancha_domain::documents::RIGHTS
            .iter()
            .enumerate()
            .map(|(n, r)| (liancha_domain::documents::ordinal_mark(n + 1), *r))
            .collect()
    }

    /// What the entity prepares, from how the task's items are checked.
    fn materials(&self) -> Vec<String> {
        self.facts
            .as_ref()
            .map(|f| liancha_domain::documents::materials(&f.methods()))
            .unwrap_or_default()
    }

    /// `本年度第 n 次（上限 m 次）` for an entity.
    fn count_line(&self, entity: &str) -> String {
        self.facts.as_ref().map_or_else(String::new, |f| {
            notice_count(f, entity, self.task.domain.label(), self.task.year)
        })
    }

    /// The address of a PDF of these documents (this team's, or the whole task's).
    fn pdf(&self) -> String {
        let file = self.kind().paths().1;
        match self.team {
            Some(t) => format!("/staff/tasks/{}/{file}?team={t}", self.task.id),
            None => format!("/staff/tasks/{}/{file}", self.task.id),
        }
    }

    /// A QR code (inline SVG) of the public check page for a visit's code.
    fn qr(&self, code: &str) -> String {
        let url = format!("{}/check?code={code}", self.origin);
        qrcode::QrCode::new(url.as_bytes())
            .map(|q| qr_svg(&q))
            .unwrap_or_default()
    }
}

/// A QR code as a small inline SVG: one path, each row's runs of dark modules
/// one rectangle, in module units scaled by the viewBox. The crate's renderer
/// draws every module apart, 7.5 KB a code, which made a county-wide task's
/// notices (one code each) a page of 14 MB.
fn qr_svg(q: &qrcode::QrCode) -> String {
    use std::fmt::Write;
    const QUIET: usize = 4;
    let width = q.width();
    let mut d = String::new();
    for (y, start, n) in liancha_print::dark_runs(q) {
        let _ = write!(d, "M{} {}h{n}v1h-{n}z", start + QUIET, y + QUIET);
    }
    let size = width + 2 * QUIET;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="148" height="148" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" aria-label="核验二维码"><rect width="{size}" height="{size}" fill="#fff"/><path d="{d}"/></svg>"##
    )
}

/// The address people reach this server at, from the request (a proxy's
/// `X-Forwarded-Proto` says whether it is https).
pub(super) fn origin(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// 检查通知书, 检查记录表 or 检查结果告知书, one page per entity.
async fn documents(
    s: AppState,
    staff: Staff,
    id: i64,
    kind: Kind,
    origin: String,
    q: DocumentsQuery,
) -> PageResult {
    let team = q.team();
    let forms = kind == Kind::Forms;
    let ctx = staff.context(s.clock.now());
    let (docs, results) = if kind == Kind::Results {
        let told = s.app.result_notices(&ctx, id, team, None).await?;
        (told.docs, Some(told.results))
    } else {
        (s.app.documents(&ctx, id, team, None).await?, None)
    };
    let facts = if kind == Kind::Notices {
        Some(s.app.notice_facts(&ctx, &docs.task).await?)
    } else {
        None
    };
    let liancha_app::documents::Documents {
        task,
        visits,
        teams,
        issued,
    } = docs;
    let total = visits.len();
    let (visits, page, pages) = crate::pages::page_of(visits, &q.page, DOCUMENTS_PER_PAGE);
    let names = Names::load(&s, &staff.county.code).await?;
    let questions = if forms {
        let items: Vec<String> = task.items.iter().map(|i| i.code.clone()).collect();
        let points = staff.rows(&s).check_points(&items).await?;
        super::points::question_views(&task, &items, &points, &names)
    } else {
        Vec::new()
    };
    render(&DocumentsPage {
        total,
        page,
        pages,
        team,
        questions,
        names,
        categories: ResultCategory::ALL,
        methods: InspectionMethod::ALL,
        task,
        visits,
        teams,
        forms,
        origin,
        issued,
        facts,
        results,
    })
}

/// An item's result as a result notice has it: the categories, and the problem
/// described only where one was found (a note beside “未发现问题” is the
/// inspector's, not the entity's business).
pub(crate) fn result_cells(r: Option<&liancha_store::results::ItemResult>) -> (String, String) {
    let Some(r) = r else {
        return (String::new(), String::new());
    };
    let categories = r
        .categories
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join("；");
    let findings = if r.categories.iter().any(|c| c.is_problem()) {
        r.findings.clone()
    } else {
        String::new()
    };
    (categories, findings)
}

/// The result notice's opening: when, whom, which task.
pub(crate) fn result_intro(task: &Task, v: &Visit) -> String {
    let cn = liancha_domain::calendar::chinese_date;
    format!(
        "{}，检查组对你单位（统一社会信用代码 {}）开展了“{}”{}联合检查。现将检查结果告知如下：",
        v.inspected_on.map_or_else(|| "检查期间".to_string(), cn),
        v.entity_id,
        task.title,
        if task.number.is_empty() {
            String::new()
        } else {
            format!("（{}）", task.number)
        },
    )
}

/// Where and when the results were published.
pub(crate) fn result_published(task: &Task) -> String {
    format!(
        "各事项的检查结果（结果类别，不含问题描述）已于{}通过本县“双随机、一公开”公示平台向社会公示。",
        task.published_at.map_or_else(
            || "公示期限内".to_string(),
            |t| liancha_domain::calendar::chinese_date(liancha_domain::calendar::china_date(t))
        )
    )
}

/// What a notice says of the entity's inspections this year, against the cap.
pub(crate) fn notice_count(
    facts: &liancha_app::documents::NoticeFacts,
    entity: &str,
    domain: &str,
    year: i32,
) -> String {
    format!(
        "本次检查是你单位{year}年度第 {} 次被抽查（含各部门的抽查和定向检查）；按{domain}领域实施细则，同一单位每年被抽查不超过 {} 次。",
        facts.count(entity),
        facts.annual_cap
    )
}

/// Which team's documents: one team's pile to print, or (empty) every team's.
#[derive(Deserialize, Default)]
pub struct DocumentsQuery {
    #[serde(default)]
    team: String,
    /// Which batch of [`DOCUMENTS_PER_PAGE`].
    #[serde(default)]
    page: String,
}

impl DocumentsQuery {
    fn team(&self) -> Option<i32> {
        self.team.trim().parse().ok()
    }
}

pub async fn notices(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DocumentsQuery>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, Kind::Notices, origin(&headers), q).await
}

pub async fn forms(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DocumentsQuery>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, Kind::Forms, origin(&headers), q).await
}

/// 检查结果告知书 of the visits whose results are published.
pub async fn result_notices(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DocumentsQuery>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, Kind::Results, origin(&headers), q).await
}

#[cfg(test)]
mod tests {
    /// The path draws exactly the code's dark modules, at their places.
    #[test]
    fn the_svg_draws_every_dark_module_and_no_other() {
        let q = qrcode::QrCode::new(b"https://example.gov.cn/check?code=AB12CD34").unwrap();
        let svg = super::qr_svg(&q);
        let width = q.width();
        let d = &svg[svg.find(" d=\"").unwrap() + 4..];
        let d = &d[..d.find('"').unwrap()];
        let mut drawn = vec![false; width * width];
        for run in d.split('M').filter(|r| !r.is_empty()) {
            let (at, rest) = run.split_once('h').unwrap();
            let (x, y) = at.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let n: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            assert_eq!(rest, format!("{n}v1h-{n}z"));
            for i in 0..n {
                let cell = &mut drawn[(y - 4) * width + x - 4 + i];
                assert!(!*cell, "drawn twice");
                *cell = true;
            }
        }
        let dark: Vec<bool> = q
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        assert_eq!(drawn, dark);
        assert!(svg.contains(&format!("viewBox=\"0 0 {0} {0}\"", width + 8)));
        assert!(svg.len() < 3_500, "{} bytes", svg.len());
    }
}
