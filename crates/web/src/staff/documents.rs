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
    /// `http://host` the notice's QR code points to.
    origin: String,
    /// The notices' date: the day of the draw that chose their entities.
    issued: chrono::NaiveDate,
}

impl DocumentsPage {
    /// A QR code (inline SVG) of the public check page for a visit's code.
    fn qr(&self, code: &str) -> String {
        let url = format!("{}/check?code={code}", self.origin);
        match qrcode::QrCode::new(url.as_bytes()) {
            Ok(q) => {
                let svg = q
                    .render::<qrcode::render::svg::Color>()
                    .min_dimensions(120, 120)
                    .quiet_zone(true)
                    .build();
                // Inline in HTML: drop the XML prolog.
                svg.find("<svg")
                    .map(|i| svg[i..].to_string())
                    .unwrap_or_default()
            }
            Err(_) => String::new(),
        }
    }
}

/// The address people reach this server at, from the request (a proxy's
/// `X-Forwarded-Proto` says whether it is https).
fn origin(headers: &axum::http::HeaderMap) -> String {
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
    team: Option<i32>,
) -> PageResult {
    let (task, _) = load_task(&s, &staff, id).await?;
    let Some(drawn_at) = task.drawn_at else {
        return Err(WebError::NotFound("该任务尚未抽取".into()));
    };
    let mut teams: BTreeMap<i32, Vec<TeamMember>> = BTreeMap::new();
    for m in staff
        .rows(&s)
        .team_members(id)
        .await?
        .into_iter()
        .filter(|m| m.active)
    {
        teams.entry(m.team_no).or_default().push(m);
    }
    let mut visits = staff.rows(&s).visits(id).await?;
    visits.retain(|v| {
        v.team_no.is_some()
            && v.state != VisitState::Replaced
            && (team.is_none() || v.team_no == team)
    });
    if staff.principal.role == Role::Inspector {
        let me = staff.principal.inspector_id.clone().unwrap_or_default();
        visits.retain(|v| {
            v.team_no
                .and_then(|t| teams.get(&t))
                .is_some_and(|m| m.iter().any(|m| m.inspector_id == me))
        });
    }
    render(&DocumentsPage {
        names: Names::load(&s, &staff.county.code).await?,
        categories: ResultCategory::ALL,
        methods: InspectionMethod::ALL,
        task,
        visits,
        teams,
        forms,
        origin,
        issued: liancha_domain::calendar::china_date(drawn_at),
    })
}

/// Which team's documents: one team's pile to print, or (empty) every team's.
#[derive(Deserialize, Default)]
pub struct DocumentsQuery {
    #[serde(default)]
    team: String,
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
    documents(s, staff, id, false, origin(&headers), q.team()).await
}

pub async fn forms(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DocumentsQuery>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, true, origin(&headers), q.team()).await
}
