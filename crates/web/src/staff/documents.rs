//! Printable documents of a task: inspection notices and record forms.

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
        let kind = if self.forms { "forms" } else { "notices" };
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
        let kind = if self.forms { "forms" } else { "notices" };
        match self.team {
            Some(t) => format!("/staff/tasks/{}/{kind}.pdf?team={t}", self.task.id),
            None => format!("/staff/tasks/{}/{kind}.pdf", self.task.id),
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

/// 检查通知书 (`forms=false`) or 检查记录表 (`forms=true`), one page per entity.
async fn documents(
    s: AppState,
    staff: Staff,
    id: i64,
    forms: bool,
    origin: String,
    q: DocumentsQuery,
) -> PageResult {
    let team = q.team();
    let ctx = staff.context(s.clock.now());
    let docs = s.app.documents(&ctx, id, team, None).await?;
    let facts = if forms {
        None
    } else {
        Some(s.app.notice_facts(&ctx, &docs.task).await?)
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
    })
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
    documents(s, staff, id, false, origin(&headers), q).await
}

pub async fn forms(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DocumentsQuery>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, true, origin(&headers), q).await
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
