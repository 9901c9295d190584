//! The transparency log in public: its checkpoint, tiles and entry bundles at the
//! stable C2SP tlog-tiles addresses (`/log/checkpoint`, `/log/tile/L/N[.p/W]`,
//! `/log/tile/entries/N[.p/W]`), so that standard tooling and witnesses read it,
//! and the page 透明日志 that says what it is, shows the key and lists the entries.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use liancha_domain::calendar::format_china_time_seconds;
use liancha_domain::transparency::{LogEvent, Tiles, kind_label};
use liancha_store::transparency::LoggedEntry;

use crate::pages::Portal;
use crate::{AppState, WebError};

/// A tile never changes once it exists (a partial one is named by its width).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

/// The latest signed checkpoint (tlog-checkpoint). Always revalidated: it moves on
/// with every public event.
pub async fn checkpoint(State(s): State<AppState>) -> Result<Response, WebError> {
    match served_checkpoint(s.app.public()).await? {
        Some(note) => Ok(text(note, "no-cache")),
        None => Err(WebError::NotFound("透明日志尚无条目".into())),
    }
}

/// The latest checkpoint with the witnesses' cosignatures of this very checkpoint,
/// as C2SP logs serve it.
async fn served_checkpoint(store: &liancha_store::Store) -> Result<Option<String>, WebError> {
    let Some(note) = store.log_checkpoint().await? else {
        return Ok(None);
    };
    let size = note
        .lines()
        .nth(1)
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(0);
    let lines = store.log_cosignature_lines(size).await?;
    Ok(Some(note + &lines.concat()))
}

/// A sealed task's log entries with their inclusion proofs and the latest
/// checkpoint (with its cosignatures): a proof bundle, which `liancha verify
/// RECORD --bundle FILE` checks without fetching the log.
pub async fn proof_bundle(
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let missing = || WebError::NotFound(format!("任务 {id} 的透明日志条目"));
    let store = s.app.public();
    let county = store.announced_task_county(id).await?.ok_or_else(missing)?;
    let bundle = store
        .log_proof_bundle(county.as_str(), id)
        .await?
        .ok_or_else(missing)?;
    let name = HeaderValue::from_str(&format!("attachment; filename=\"log-proof-{id}.json\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::CONTENT_DISPOSITION, name),
        ],
        axum::Json(bundle),
    )
        .into_response())
}

/// Largest cosigned note a witness may send: a checkpoint and its signatures.
pub const COSIGNATURE_LIMIT: usize = 16 * 1024;

/// A witness sends back the checkpoint with its cosignature. Accepted from
/// registered witnesses only, and only over a checkpoint this log signed.
pub async fn cosign(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let names = s
        .app
        .store()
        .add_log_cosignatures(&body, s.clock.now())
        .await?;
    Ok(text(
        format!("已接受 {} 的联署\n", names.join("、")),
        "no-store",
    ))
}

/// The log's verifier key (signed-note encoding), for tools and witnesses.
pub async fn key(State(s): State<AppState>) -> Result<Response, WebError> {
    let key = s.app.public().log_key().await?;
    Ok(text(format!("{}\n", key.verifier), "public, max-age=3600"))
}

/// Tiles kept in memory, by path, up to a bound in bytes; the oldest go first.
/// Every tile is immutable (a partial one is named by its width), so what is kept
/// is never stale; a tile not yet in the log is never kept.
#[derive(Default)]
pub struct TileCache(std::sync::Mutex<TileCacheInner>);

#[derive(Default)]
struct TileCacheInner {
    tiles: std::collections::HashMap<String, axum::body::Bytes>,
    order: std::collections::VecDeque<String>,
    bytes: usize,
}

/// What the cache may hold: 2,000 hash tiles of 8 KiB, or fewer entry bundles.
const TILE_CACHE_BYTES: usize = 16 << 20;

impl TileCache {
    fn get(&self, path: &str) -> Option<axum::body::Bytes> {
        self.0.lock().ok()?.tiles.get(path).cloned()
    }

    fn put(&self, path: &str, data: axum::body::Bytes) {
        let Ok(mut c) = self.0.lock() else { return };
        if data.len() > TILE_CACHE_BYTES / 8 || c.tiles.contains_key(path) {
            return;
        }
        c.bytes += data.len();
        c.tiles.insert(path.to_string(), data);
        c.order.push_back(path.to_string());
        while c.bytes > TILE_CACHE_BYTES {
            let Some(old) = c.order.pop_front() else {
                break;
            };
            if let Some(d) = c.tiles.remove(&old) {
                c.bytes -= d.len();
            }
        }
    }
}

fn tile_response(data: axum::body::Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        ],
        data,
    )
        .into_response()
}

/// A hash tile or an entry bundle.
pub async fn tile(
    State(s): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, WebError> {
    if let Some(data) = s.tiles.get(&path) {
        return Ok(tile_response(data));
    }
    let missing = || WebError::NotFound(format!("没有日志分片 tile/{path}"));
    let store = s.app.public();
    let data = if path.starts_with("entries/") {
        let t = Tiles::parse_entries_path(&format!("tile/{path}")).ok_or_else(missing)?;
        store.log_entry_bundle(t.level_index(), t.width()).await?
    } else {
        let t = Tiles::parse_path(&format!("tile/{path}")).ok_or_else(missing)?;
        store
            .log_hash_tile(t.level(), t.level_index(), t.width())
            .await?
    };
    let data = axum::body::Bytes::from(data.ok_or_else(missing)?);
    s.tiles.put(&path, data.clone());
    Ok(tile_response(data))
}

/// Entries a page of 透明日志 lists.
const PER_PAGE: u32 = 50;

#[derive(serde::Deserialize, Default)]
pub struct LogQuery {
    /// Entries before this index (the next page).
    #[serde(default)]
    before: String,
}

pub struct Row {
    pub index: u64,
    pub at: String,
    pub county: String,
    pub county_code: String,
    pub event: &'static str,
    pub task: Option<i64>,
    pub detail: String,
}

impl LogPage {
    fn latest(&self, w: &liancha_store::transparency::Witness) -> String {
        match &w.latest {
            Some((size, at)) => format!(
                "第 {size} 条时的检查点，{} 联署",
                format_china_time_seconds(*at)
            ),
            None => "尚未联署".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "public/log.html")]
struct LogPage {
    portal: Option<Portal>,
    origin: String,
    verifier: String,
    /// The SM2 key (国密) and the size after which checkpoints carry it.
    sm2: Option<(String, u64)>,
    checkpoint: Option<String>,
    size: u64,
    witnesses: Vec<liancha_store::transparency::Witness>,
    rows: Vec<Row>,
    next: Option<u64>,
}

/// What an entry commits to, shortened for the list (the full entry is in the
/// bundle; digests are long).
fn detail(e: &LogEvent) -> String {
    let short = |d: &str| d.chars().take(16).collect::<String>() + "…";
    match e {
        LogEvent::Sealed {
            plan_digest,
            sources,
            ..
        } => format!(
            "方案摘要 {}；随机源 {} 个",
            short(plan_digest),
            sources.len()
        ),
        LogEvent::Drawn { record_digest, .. } => format!("抽取记录摘要 {}", short(record_digest)),
        LogEvent::Substituted { kind, digest, .. } => format!(
            "{} {}",
            if kind == "entity" {
                "替补检查对象"
            } else {
                "替补检查人员"
            },
            short(digest)
        ),
        LogEvent::Published { plan_digest, .. } => format!("方案摘要 {}", short(plan_digest)),
        LogEvent::Cancelled { reason, .. } => format!("原因：{reason}"),
        LogEvent::Corrected { digest, .. } => format!("更正摘要 {}", short(digest)),
        LogEvent::CreditListed { entity, list } => format!("{entity} 列入{}", list_name(list)),
        LogEvent::CreditRemoved { entity, list } => format!("{entity} 移出{}", list_name(list)),
    }
}

fn list_name(list: &str) -> &'static str {
    if list == "blacklist" {
        "严重违法失信名单"
    } else {
        "经营异常名录"
    }
}

pub async fn rows(s: &AppState, entries: Vec<LoggedEntry>) -> Result<Vec<Row>, WebError> {
    let divisions = s.divisions().await?;
    Ok(entries
        .into_iter()
        .map(|e| Row {
            index: e.index,
            at: format_china_time_seconds(e.at),
            county: divisions
                .iter()
                .find(|d| d.code.as_str() == e.entry.county)
                .map_or_else(|| e.entry.county.clone(), |d| d.name.clone()),
            county_code: e.entry.county.clone(),
            event: kind_label(e.entry.kind()),
            task: e.entry.task(),
            detail: detail(&e.entry.event),
        })
        .collect())
}

/// 透明日志: what the log is and proves, its key and checkpoint, and its entries
/// newest first.
pub async fn page(
    State(s): State<AppState>,
    Query(q): Query<LogQuery>,
) -> Result<Html<String>, WebError> {
    let store = s.app.public();
    let before = match q.before.trim() {
        "" => None,
        b => Some(
            b.parse::<u64>()
                .map_err(|_| WebError::BadRequest("条目序号应为数字".into()))?,
        ),
    };
    let key = store.log_key().await?;
    let checkpoint = served_checkpoint(store).await?;
    let size = store.log_size().await?;
    let entries = store.log_entries(before, PER_PAGE).await?;
    let next = entries
        .last()
        .map(|e| e.index)
        .filter(|i| *i > 0 && entries.len() == PER_PAGE as usize);
    Ok(Html(
        LogPage {
            portal: None,
            origin: key.origin,
            verifier: key.verifier,
            sm2: store.log_sm2_key().await?,
            checkpoint,
            size,
            witnesses: store.log_witnesses().await?,
            rows: rows(&s, entries).await?,
            next,
        }
        .render()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_cache_is_bounded_and_forgets_the_oldest() {
        let c = TileCache::default();
        let tile = axum::body::Bytes::from(vec![0u8; 8192]);
        let n = TILE_CACHE_BYTES / 8192 + 10;
        for i in 0..n {
            c.put(&format!("0/{i:03}"), tile.clone());
        }
        let inner = c.0.lock().unwrap();
        assert!(inner.bytes <= TILE_CACHE_BYTES);
        assert_eq!(inner.tiles.len(), inner.order.len());
        drop(inner);
        assert!(c.get("0/000").is_none(), "the oldest went first");
        assert!(c.get(&format!("0/{:03}", n - 1)).is_some());
        // One tile larger than an eighth of the cache is served, never kept.
        c.put(
            "entries/big",
            axum::body::Bytes::from(vec![0u8; TILE_CACHE_BYTES / 4]),
        );
        assert!(c.get("entries/big").is_none());
    }
}
