//! The web face of liancha: server-rendered Chinese pages (they work without
//! JavaScript), with the business rules left to the domain and store crates.

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use liancha_domain::org::{Division, DivisionCode};
use liancha_store::Store;
use tower_http::compression::Predicate as _;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

mod accounts;
mod admin;
mod announcements;
mod api;
mod attachments;
mod campaigns;
mod directory;
mod error;
mod imports;
pub mod limits;
mod log_admin;
mod oversight;
mod pages;
mod plans;
mod public;
pub mod session;
mod setup;
mod setup_lists;
mod staff;
mod transparency;
mod upward;

pub use error::WebError;
pub use session::Clock;

/// Per year: the `public_results` version and the figures computed from it.
pub type StatsCache = std::sync::Arc<
    tokio::sync::Mutex<
        std::collections::BTreeMap<
            (DivisionCode, i32),
            (i64, std::sync::Arc<liancha_store::search::PublicStats>),
        >,
    >,
>;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The use cases; handlers moved to it call it instead of the store.
    pub app: liancha_app::App,
    names_cache: std::sync::Arc<
        std::sync::Mutex<
            std::collections::BTreeMap<DivisionCode, (std::time::Instant, staff::Names)>,
        >,
    >,
    pub clock: Clock,
    pub limits: limits::RateLimits,
    /// Public statistics per year, with the version of `public_results` they were
    /// computed from: a year's figures read every row of it.
    pub stats_cache: StatsCache,
    /// Failed sign-ins per address.
    pub login_throttle: limits::LoginThrottle,
    /// Sign-ins and password changes being hashed or waiting to be: when none is
    /// left the request is refused at once with 503, not queued without end.
    pub hash_gate: std::sync::Arc<tokio::sync::Semaphore>,
    /// The organisation tree, as last read: every request names its county in it.
    tree: std::sync::Arc<std::sync::Mutex<Option<TreeRead>>>,
    /// The transparency log's tiles as served: a tile never changes once it exists.
    tiles: std::sync::Arc<transparency::TileCache>,
    /// Uploaded directory files waiting for their clerk's confirmation.
    imports: imports::PendingImports,
}

/// The organisation tree and when it was read.
type TreeRead = (std::time::Instant, std::sync::Arc<[Division]>);

/// How long the tree is reused before being read again; adding a division forgets it.
const TREE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl AppState {
    /// The organisation tree (read at most every [`TREE_TTL`]).
    pub async fn divisions(&self) -> Result<std::sync::Arc<[Division]>, WebError> {
        if let Some((at, tree)) = self.tree.lock().ok().and_then(|t| t.clone())
            && at.elapsed() < TREE_TTL
        {
            return Ok(tree);
        }
        let tree: std::sync::Arc<[Division]> = self.app.store().divisions().await?.into();
        if let Ok(mut t) = self.tree.lock() {
            *t = Some((std::time::Instant::now(), tree.clone()));
        }
        Ok(tree)
    }

    /// Forgets the tree read last, after a division was added.
    pub fn tree_changed(&self) {
        if let Ok(mut t) = self.tree.lock() {
            *t = None;
        }
    }

    /// The division with this code, if the installation has it.
    pub async fn division(&self, code: &DivisionCode) -> Result<Option<Division>, WebError> {
        Ok(self
            .divisions()
            .await?
            .iter()
            .find(|d| &d.code == code)
            .cloned())
    }
}

/// Password checks that may wait for a hashing thread, besides those running.
pub const HASH_QUEUE: usize = 16;

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            app: liancha_app::App::new(store.clone()),
            store,
            clock: Clock::default(),
            limits: limits::RateLimits::default(),
            stats_cache: Default::default(),
            names_cache: Default::default(),
            tree: Default::default(),
            tiles: Default::default(),
            imports: Default::default(),
            login_throttle: Default::default(),
            hash_gate: std::sync::Arc::new(tokio::sync::Semaphore::new(
                liancha_store::accounts::hashing_threads() + HASH_QUEUE,
            )),
        }
    }

    /// The public pages and the open-data API read from `replica`, a streaming
    /// replica of the store; staff pages and every write go to the store.
    pub fn with_replica(mut self, replica: Store) -> Self {
        self.app = self.app.with_public(replica);
        self
    }

    pub fn with_limits(mut self, l: limits::Limits) -> Self {
        self.limits = limits::RateLimits::new(l);
        self
    }

    /// Sign-in posts per minute per address (`0`: no limit).
    pub fn with_login_per_minute(mut self, per_minute: u32) -> Self {
        self.limits = self.limits.with_login_per_minute(per_minute);
        self
    }

    /// How many password checks may run or wait at once.
    pub fn with_hash_slots(mut self, slots: usize) -> Self {
        self.hash_gate = std::sync::Arc::new(tokio::sync::Semaphore::new(slots));
        self
    }
}

/// Headers every response carries: no framing, no sniffing, scripts and styles only
/// from this server.
fn security_headers(router: Router) -> Router {
    let headers: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ];
    headers.into_iter().fold(router, |r, (name, value)| {
        r.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// HSTS only when the request came over TLS (directly or through a proxy saying so):
/// sent over plain HTTP it would be ignored, or lock out a site without TLS.
async fn hsts(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let tls = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let mut res = next.run(req).await;
    if tls {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// Public pages, lists and files go out gzipped to a browser that takes it (a
/// county's lists and exports are large and compress tenfold). Never a private
/// page: staff pages hold the session's CSRF token beside what the request
/// echoes back (filters, typed values), which compression would let an observer
/// of sizes read a byte at a time (BREACH). Stripping the request's
/// `Accept-Encoding` here keeps the compression layer inside from offering it.
///
/// A gzipped body is another representation, so its strong ETag must differ from
/// the plain one's (RFC 9110 §8.8.3): `"…-gzip"` going out, the suffix taken off
/// an `If-None-Match` coming in, so the handlers' tags still match.
async fn compress_public_only(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if is_private(req.uri().path()) {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
        return next.run(req).await;
    }
    let mut asked_gzip = false;
    let tags: Vec<HeaderValue> = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            asked_gzip |= v.contains(GZIP_TAG);
            HeaderValue::from_str(&v.replace(GZIP_TAG, "\"")).ok()
        })
        .collect();
    if !tags.is_empty() {
        req.headers_mut().remove(header::IF_NONE_MATCH);
        for t in tags {
            req.headers_mut().append(header::IF_NONE_MATCH, t);
        }
    }
    let mut res = next.run(req).await;
    let gzipped = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let revalidated_gzip = res.status() == axum::http::StatusCode::NOT_MODIFIED && asked_gzip;
    if (gzipped || revalidated_gzip)
        && let Some(tag) = res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
        && let Some(open) = tag.strip_suffix('"')
        && let Ok(v) = HeaderValue::from_str(&format!("{open}{GZIP_TAG}"))
    {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// What marks a gzipped representation's entity tag.
const GZIP_TAG: &str = "-gzip\"";

/// Whether a path is a staff page, a sign-in page or a staff export or download:
/// personal and unpublished data that no cache, shared or the browser's, may keep.
fn is_private(path: &str) -> bool {
    ["/staff", "/admin", "/login", "/logout", "/account"]
        .iter()
        .any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// `Cache-Control: no-store` on every response under [`is_private`] paths, whatever
/// the handler set: one layer, so a new staff page or export cannot forget it.
async fn no_store(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let private = is_private(req.uri().path());
    let mut res = next.run(req).await;
    if private {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

pub fn router(state: AppState) -> Router {
    let rate_limits = state.limits.clone();
    let r = Router::new()
        // The province's portal, and each county's under its division code.
        .route("/", get(pages::home))
        .route("/c/{county}", get(pages::index))
        // The address as people write it down (and the README gives it).
        .route(
            "/c/{county}/",
            get(
                |axum::extract::Path(county): axum::extract::Path<String>| async move {
                    match liancha_domain::org::DivisionCode::parse(&county) {
                        Ok(code) => Ok(axum::response::Redirect::permanent(&format!("/c/{code}"))),
                        Err(_) => Err(pages::not_found().await),
                    }
                },
            ),
        )
        .route("/c/{county}/entities", get(pages::entities))
        .route("/c/{county}/entities/{id}", get(pages::entity))
        .route("/c/{county}/inspectors", get(pages::inspectors))
        .route("/c/{county}/items", get(pages::items))
        .route("/c/{county}/rule-books", get(pages::rule_books))
        .route("/c/{county}/plans", get(public::plans))
        .route("/c/{county}/tasks", get(public::tasks))
        .route("/c/{county}/announcements", get(announcements::list))
        .route("/c/{county}/lists", get(public::lists))
        .route("/c/{county}/stats", get(public::stats))
        // Addresses from before the portals: one county's page, or a choice of county.
        .route("/entities", get(pages::legacy))
        .route("/inspectors", get(pages::legacy))
        .route("/items", get(pages::legacy))
        .route("/rule-books", get(pages::legacy))
        .route("/public/plans", get(pages::legacy))
        .route("/public/stats", get(pages::legacy))
        .route("/entities/{id}", get(pages::entity_anywhere))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/static/{name}", get(public::script))
        .route("/check", get(public::check))
        .route("/check/rate", post(public::rate))
        .route("/check/complain", post(public::complain))
        .route("/check/repair", post(public::apply_repair))
        .route(
            "/schemas/upward/results-v1.schema.json",
            get(upward::schema),
        )
        .route("/check/object", post(public::object))
        .route("/verify", get(public::verify))
        .route("/public/tasks", get(public::tasks_everywhere))
        .route("/public/tasks/{id}", get(public::task))
        .route("/public/lists", get(public::lists_everywhere))
        .route("/public/results", get(public::results))
        .route("/public/tasks/{id}/record.json", get(public::record))
        .route(
            "/public/tasks/{id}/log-proof.json",
            get(transparency::proof_bundle),
        )
        .route("/public/log", get(transparency::page))
        .route("/log/checkpoint", get(transparency::checkpoint))
        .route(
            "/log/cosignature",
            post(transparency::cosign).layer(axum::extract::DefaultBodyLimit::max(
                transparency::COSIGNATURE_LIMIT,
            )),
        )
        .route("/log/key", get(transparency::key))
        .route("/log/tile/{*path}", get(transparency::tile))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route(
            "/account/password",
            get(session::password_form).post(session::change_password),
        )
        .route("/staff", get(staff::home))
        .route("/staff/county", get(session::switch_county))
        .route("/staff/tasks", get(staff::tasks).post(staff::create_task))
        .route("/staff/tasks/export", get(staff::export_tasks))
        .route("/staff/tasks/new", get(staff::new_task))
        .route("/staff/tasks/{id}", get(staff::task))
        .route(
            "/staff/tasks/{id}/edit",
            get(staff::edit_task).post(staff::update_task),
        )
        .route("/staff/tasks/{id}/commit", post(staff::commit))
        .route(
            "/staff/tasks/{id}/approval/request",
            post(staff::request_approval),
        )
        .route("/staff/tasks/{id}/approval", post(staff::decide_approval))
        .route("/staff/tasks/{id}/draw", post(staff::draw))
        .route("/staff/tasks/{id}/witnesses", post(staff::add_witness))
        .route("/staff/tasks/{id}/cancel", post(staff::cancel))
        .route("/staff/tasks/{id}/substitute", post(staff::substitute))
        .route("/staff/tasks/{id}/approve", post(staff::approve))
        .route("/staff/tasks/{id}/review", get(staff::review_sheet))
        .route("/staff/tasks/{id}/publish", post(staff::publish))
        .route("/staff/tasks/{id}/plan.json", get(staff::plan))
        .route("/staff/tasks/{id}/record.json", get(staff::record))
        .route("/staff/tasks/{id}/exclusions", get(staff::exclusions))
        .route("/staff/tasks/{id}/notices", get(staff::notices))
        .route("/staff/tasks/{id}/approval.pdf", get(staff::approval_pdf))
        .route("/staff/tasks/{id}/notices.pdf", get(staff::notices_pdf))
        .route("/staff/tasks/{id}/forms.pdf", get(staff::forms_pdf))
        .route("/staff/tasks/{id}/results.pdf", get(staff::results_pdf))
        .route(
            "/staff/tasks/{id}/result-notices",
            get(staff::result_notices),
        )
        .route("/staff/tasks/{id}/forms", get(staff::forms))
        .route("/staff/tasks/{id}/visits.xlsx", get(staff::export_visits))
        .route(
            "/staff/tasks/{id}/visits/{entity}",
            get(staff::visit).post(staff::record_results),
        )
        .route(
            "/staff/tasks/{id}/visits/{entity}/check-in",
            post(staff::check_in),
        )
        .route("/staff/check-in", get(staff::check_in_link))
        .route(
            "/staff/tasks/{id}/visits/{entity}/return",
            post(staff::return_visit),
        )
        .route(
            "/staff/tasks/{id}/attachments",
            post(attachments::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    attachments::UPLOAD_LIMIT,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    attachments::guard,
                )),
        )
        .route("/staff/attachments/{id}", get(attachments::download))
        .route(
            "/staff/import",
            get(imports::import_page).merge(
                post(imports::upload)
                    .layer(axum::extract::DefaultBodyLimit::max(imports::IMPORT_LIMIT))
                    .layer(axum::middleware::from_fn_with_state(
                        state.clone(),
                        attachments::guard,
                    )),
            ),
        )
        .route("/staff/entities", get(directory::entities))
        .route("/staff/entities/export", get(directory::export_entities))
        .route(
            "/staff/entities/{id}",
            get(directory::entity).post(directory::edit_entity),
        )
        .route(
            "/staff/items",
            get(directory::items).post(directory::create_item),
        )
        .route("/staff/items/new", get(directory::new_item))
        .route("/staff/joint-lists", get(directory::joint_lists))
        .route(
            "/staff/joint-lists/{code}/approve",
            post(directory::approve_joint_list),
        )
        .route(
            "/staff/joint-lists/{code}/return",
            post(directory::return_joint_list),
        )
        .route("/staff/items/export", get(directory::export_items))
        .route(
            "/staff/items/{code}",
            get(directory::item).post(directory::post_item),
        )
        .route("/staff/inspectors", get(directory::inspectors))
        .route(
            "/staff/inspectors/export",
            get(directory::export_inspectors),
        )
        .route(
            "/staff/inspectors/{id}",
            get(directory::inspector).post(directory::edit_inspector),
        )
        .route("/staff/import/{token}", post(imports::confirm))
        .route("/staff/import/{token}/errors.xlsx", get(imports::bad_rows))
        .route("/staff/import/template/{kind}", get(imports::template))
        .route(
            "/staff/targeted/{id}/document",
            post(attachments::upload_targeted_document)
                .layer(axum::extract::DefaultBodyLimit::max(
                    attachments::DOCUMENT_LIMIT,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    attachments::guard,
                )),
        )
        .route(
            "/staff/conflicts",
            get(staff::conflicts).post(staff::declare_conflict),
        )
        .route("/staff/my", get(staff::my_visits))
        .route("/staff/follow-ups", get(staff::follow_ups))
        .route("/staff/follow-ups/export", get(staff::export_follow_ups))
        .route("/staff/follow-ups/{id}", post(staff::update_follow_up))
        .route("/staff/credit/{id}", post(staff::decide_credit))
        .route(
            "/staff/credit/{id}/repair",
            post(staff::register_credit_repair),
        )
        .route(
            "/staff/credit-repairs/{id}",
            post(staff::decide_credit_repair),
        )
        .route("/staff/objections/{id}", post(staff::answer_objection))
        .route(
            "/staff/credit/{id}/remove",
            post(staff::remove_credit_listing),
        )
        .route(
            "/staff/targeted",
            get(staff::targeted).post(staff::record_targeted),
        )
        .route("/staff/targeted/check-in", post(staff::check_in_targeted))
        .route(
            "/staff/targeted/{id}/findings",
            post(staff::targeted_findings),
        )
        .route("/staff/audit", get(staff::audit))
        .route("/staff/plans", get(plans::plans).post(plans::create))
        .route("/staff/plans/export", get(plans::export))
        .route("/staff/plans/{id}", get(plans::plan))
        .route("/staff/plans/{id}/entries", post(plans::add_entry))
        .route("/staff/plans/{id}/publish", post(plans::publish))
        .route("/staff/plans/{id}/filing", post(plans::file))
        .route(
            "/staff/users",
            get(accounts::users).post(accounts::create_user),
        )
        .route(
            "/staff/users/{id}",
            get(accounts::account).post(accounts::update_account),
        )
        .route("/staff/users/{id}/password", post(accounts::reset_password))
        .route("/staff/log", get(log_admin::page))
        .route("/staff/log/witnesses", post(log_admin::add_witness))
        .route(
            "/staff/divisions",
            get(setup::divisions).post(setup::create_division),
        )
        .route(
            "/staff/campaigns",
            get(campaigns::campaigns).post(campaigns::create),
        )
        .route("/staff/campaigns/{id}", get(campaigns::campaign))
        .route("/staff/settings", get(setup::settings))
        .route("/staff/settings/townships", post(setup::add_township))
        .route(
            "/staff/settings/announcements",
            post(setup::save_announcements),
        )
        .route("/staff/settings/departments", post(setup::save_department))
        .route("/staff/settings/numbering", post(setup::save_issuer))
        .route("/staff/settings/rule-books", post(setup::save_rule_book))
        .route(
            "/staff/settings/joint-lists",
            post(setup_lists::save_joint_list),
        )
        .route("/staff/users/{id}/disabled", post(accounts::set_disabled))
        .route(
            "/staff/calendar",
            get(admin::calendar).post(admin::replace_calendar),
        )
        .route("/staff/oversight", get(oversight::dashboard))
        .route("/staff/upward", get(upward::show).post(upward::export))
        .route("/staff/upward/credit-state.xlsx", get(upward::credit_state))
        .route("/staff/oversight/complaints", get(oversight::complaints))
        .route(
            "/staff/oversight/complaints/{id}",
            post(oversight::handle_complaint),
        )
        .route("/staff/oversight/export.xlsx", get(oversight::export))
        .route("/staff/oversight/report", get(oversight::monthly_report))
        .route("/healthz", get(|| async { "ok" }))
        .merge(api::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(error::plain_rejections))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::staff_layout,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            rate_limits,
            limits::enforce,
        ))
        .layer(axum::middleware::from_fn(hsts))
        .layer(axum::middleware::from_fn(no_store))
        .layer(
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                .compress_when(tower_http::compression::DefaultPredicate::new().and(
                    tower_http::compression::predicate::NotForContentType::const_new(
                        "application/vnd.openxmlformats",
                    ),
                )),
        )
        .layer(axum::middleware::from_fn(compress_public_only))
        .layer(TraceLayer::new_for_http());
    security_headers(r)
}

/// Serves until the process is stopped. `on_ready` gets the bound address (useful with port 0).
pub async fn serve(
    store: Store,
    replica: Option<Store>,
    addr: SocketAddr,
    limits: limits::Limits,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_ready(listener.local_addr()?);
    let mut state = AppState::new(store).with_limits(limits);
    if let Some(replica) = replica {
        state = state.with_replica(replica);
    }
    let app = router(state);
    // The peer address is what the rate limits key on.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn private_paths() {
        for p in [
            "/staff",
            "/staff/tasks/3/record.json",
            "/staff/attachments/1",
            "/login",
            "/account/password",
            "/admin/x",
        ] {
            assert!(super::is_private(p), "{p}");
        }
        for p in [
            "/",
            "/staffing",
            "/public/tasks",
            "/api/v1/items.csv",
            "/loginx",
        ] {
            assert!(!super::is_private(p), "{p}");
        }
    }
}
