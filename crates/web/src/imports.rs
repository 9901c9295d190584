//! 名录与清单导入 on the web: a clerk downloads the template, uploads a CSV or XLSX,
//! reads what the import would do (new, changed with each field before → after,
//! unchanged, or every problem with row, column and reason), and confirms; then
//! every row is written or none.
//!
//! An upload waits for its confirmation in a file of the server's temporary
//! directory, known by a random token to the account that uploaded it alone, for at
//! most [`PENDING_FOR`]; at most [`MAX_PENDING`] wait at once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_app::AppError;
use liancha_app::imports::Seen;
use liancha_domain::org::DivisionCode;
use liancha_store::RowError;
use liancha_store::StoreError;
use liancha_store::import::Kind;
use liancha_store::import_preview::ImportPreview;
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::staff::ticked;
use crate::{AppState, WebError};

/// Largest file an import takes (the sheet reader bounds what it unpacks as well).
pub const FILE_LIMIT: usize = 30 * 1024 * 1024;
/// Largest request body of an upload: the file and the form around it.
pub const IMPORT_LIMIT: usize = FILE_LIMIT + 64 * 1024;
/// How long an upload waits for its confirmation.
const PENDING_FOR: Duration = Duration::from_secs(60 * 60);
/// Uploads waiting at once: per account, and across all; the oldest gives way.
const MAX_PENDING_PER_USER: usize = 3;
const MAX_PENDING: usize = 64;

/// An upload waiting for its confirmation, under its own name in a directory of its
/// own (so that messages and the audit trail name the clerk's file); both are
/// deleted when it goes.
struct Pending {
    user_id: i64,
    county: DivisionCode,
    kind: Kind,
    dir: tempfile::TempDir,
    file_name: String,
    at: Instant,
    /// A refused upload's problems: it is kept for the download of its bad rows,
    /// and cannot be imported.
    errors: Vec<RowError>,
}

impl Pending {
    fn path(&self) -> PathBuf {
        self.dir.path().join(&self.file_name)
    }
}

/// The uploaded file's own name, safe as a file name: its last component, without
/// control characters, at most 150 bytes before its extension.
fn safe_name(uploaded: &str, ext: &str) -> String {
    let last = uploaded.rsplit(['/', '\\']).next().unwrap_or("");
    let stem: String = std::path::Path::new(last)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | ':' | '\0'))
        .scan(0, |bytes, c| {
            // A file name holds 255 bytes: a Chinese character takes three.
            *bytes += c.len_utf8();
            (*bytes <= 150).then_some(c)
        })
        .collect();
    let stem = stem.trim().trim_start_matches('.');
    format!("{}.{ext}", if stem.is_empty() { "upload" } else { stem })
}

/// The uploads waiting for confirmation, by token; and the gate that lets one
/// preview or import read a county's directory at a time (each holds the directory
/// and the file in memory).
#[derive(Clone)]
pub struct PendingImports {
    waiting: Arc<Mutex<BTreeMap<String, Pending>>>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Default for PendingImports {
    fn default() -> Self {
        PendingImports {
            waiting: Default::default(),
            gate: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

impl PendingImports {
    fn add(&self, token: String, p: Pending) {
        let Ok(mut map) = self.waiting.lock() else {
            return;
        };
        map.retain(|_, q| q.at.elapsed() < PENDING_FOR);
        let user = p.user_id;
        let oldest = |map: &BTreeMap<String, Pending>, mine: bool| {
            map.iter()
                .filter(|(_, q)| !mine || q.user_id == user)
                .min_by_key(|(_, q)| q.at)
                .map(|(t, _)| t.clone())
        };
        while map.values().filter(|q| q.user_id == user).count() >= MAX_PENDING_PER_USER {
            match oldest(&map, true) {
                Some(t) => map.remove(&t),
                None => break,
            };
        }
        while map.len() >= MAX_PENDING {
            match oldest(&map, false) {
                Some(t) => map.remove(&t),
                None => break,
            };
        }
        map.insert(token, p);
    }

    /// Takes the upload `token` out, if `staff` made it in this county and it has
    /// not expired: a second click on 确认导入 finds nothing to import.
    fn take(&self, token: &str, staff: &Staff) -> Option<Pending> {
        let mut map = self.waiting.lock().ok()?;
        let mine = map.get(token).is_some_and(|p| {
            p.user_id == staff.principal.user_id
                && p.county == staff.county.code
                && p.at.elapsed() < PENDING_FOR
        });
        let importable = map.get(token).is_some_and(|p| p.errors.is_empty());
        if mine && importable {
            map.remove(token)
        } else {
            None
        }
    }

    /// A refused upload of `staff`'s: its kind, file and problems.
    fn refused(&self, token: &str, staff: &Staff) -> Option<(Kind, PathBuf, Vec<RowError>)> {
        let map = self.waiting.lock().ok()?;
        map.get(token)
            .filter(|p| {
                p.user_id == staff.principal.user_id
                    && p.county == staff.county.code
                    && p.at.elapsed() < PENDING_FOR
                    && !p.errors.is_empty()
            })
            .map(|p| (p.kind, p.path(), p.errors.clone()))
    }
}

/// What the page shows below the upload form: a preview to confirm, or why the
/// file was refused.
enum Outcome {
    Preview {
        token: String,
        kind: Kind,
        preview: ImportPreview,
    },
    Refused {
        kind: Kind,
        file_name: String,
        message: String,
        errors: Vec<RowError>,
        more: u64,
        /// The token under which the bad rows can be downloaded.
        errors_file: Option<String>,
    },
}

#[derive(Template)]
#[template(path = "staff/import.html")]
struct ImportPage {
    staff: Staff,
    kinds: Vec<Kind>,
    chosen: String,
    notice: Option<String>,
    outcome: Option<Outcome>,
    entity_keeper: Option<String>,
}

impl ImportPage {
    fn kind_note(&self, kind: &Kind) -> &'static str {
        match kind {
            Kind::Entities => "全县的检查对象名录，由名录维护部门导入",
            Kind::Inspectors => "本部门的执法检查人员（部门管理员只能导入本部门的）",
            Kind::Items => "本部门的抽查事项（部门管理员只能导入本部门的）",
            Kind::CheckPoints => {
                "本部门事项的检查要点（文件中出现的事项，其要点整体替换为文件中的）"
            }
            Kind::Townships => "本县的乡镇（代码以本县代码开头；已有乡镇不能改名）",
            Kind::Departments => "本县的部门及其领域（同代码的部门按文件更新名称和领域）",
            Kind::RuleBooks => {
                "各领域的实施细则（与现行不同的领域形成新版本，自“施行日期”列的日期起施行，不填为导入当日）"
            }
            Kind::CreditStatus => {
                "省级协同监管平台下发的信用风险分类和名单状态，按统一社会信用代码对应本县名录（留空的项不改变）"
            }
            _ => "",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    rows: u64,
    #[serde(default)]
    added: u64,
    #[serde(default)]
    updated: u64,
}

async fn page(
    s: &AppState,
    staff: Staff,
    chosen: String,
    notice: Option<String>,
    outcome: Option<Outcome>,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let mut kinds = Vec::new();
    for k in Kind::ON_THE_WEB {
        if s.app.may_import(&ctx, *k).await? {
            kinds.push(*k);
        }
    }
    if kinds.is_empty() {
        return Err(WebError::Forbidden);
    }
    let keeper = s.app.entity_keeper(&ctx).await?;
    let entity_keeper = match keeper {
        Some(code) => Some(
            crate::staff::Names::load(s, &staff.county.code)
                .await?
                .dept(&code),
        ),
        None => None,
    };
    Ok(ImportPage {
        kinds,
        chosen,
        notice,
        outcome,
        entity_keeper,
        staff,
    }
    .render()?)
}

pub async fn import_page(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<ImportQuery>,
) -> Result<Html<String>, WebError> {
    let notice = (q.done == "imported").then(|| match Kind::from_code(&q.kind) {
        Some(Kind::CreditStatus) => format!(
            "已导入省级回传信用状态：文件 {} 行，{} 户的风险分类或名单状态已更新（列入、移出已记入名单记录和透明日志）。",
            q.rows, q.updated
        ),
        _ => format!(
            "已导入 {} 行：新增 {}，更新 {}（内容未变的行未改动）。",
            q.rows, q.added, q.updated
        ),
    });
    Ok(Html(page(&s, staff, q.kind, notice, None).await?))
}

/// The empty template of a kind, with its 填写说明 sheet.
pub async fn template(
    State(s): State<AppState>,
    Path(kind): Path<String>,
    staff: Staff,
) -> Result<Response, WebError> {
    let kind = kind
        .strip_suffix(".xlsx")
        .and_then(Kind::from_code)
        .filter(|k| Kind::ON_THE_WEB.contains(k))
        .ok_or_else(|| WebError::NotFound("模板".into()))?;
    // The examples in the clerk's county's own data.
    let examples = s
        .app
        .template_examples(&staff.context(s.clock.now()))
        .await
        .map_err(|e| WebError::refused(e, "/staff/import".into()))?;
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("template.xlsx");
        liancha_store::export::write_template(kind, &path, &examples).map_err(|e| e.to_string())?;
        std::fs::read(&path).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| WebError::BadRequest(e.to_string()))?
    .map_err(WebError::BadRequest)?;
    Ok(crate::pages::sheet_download(
        bytes,
        &format!("{}-template.xlsx", kind.code()),
        &format!("{}导入模板.xlsx", kind.label()),
        false,
    ))
}

/// The refusal of a file, said on the page: every problem a row had, or what was
/// wrong with the file as a whole.
fn refused(kind: Kind, file_name: String, e: AppError) -> Result<Outcome, WebError> {
    let (message, errors, more) = match e {
        AppError::Store(StoreError::Import { errors, more }) => (
            format!(
                "文件中有 {} 处问题，未导入任何记录。请在 Excel 中按下表改正后重新上传。",
                errors.len() as u64 + more
            ),
            errors,
            more,
        ),
        AppError::Store(StoreError::Sheet(e)) => (format!("无法读取文件：{e}"), Vec::new(), 0),
        AppError::Invalid { message, .. } => (message, Vec::new(), 0),
        e => return Err(WebError::refused(e, "/staff/import".into())),
    };
    Ok(Outcome::Refused {
        kind,
        file_name,
        message,
        errors,
        more,
        errors_file: None,
    })
}

/// An upload: kept under a token and previewed.
pub async fn upload(
    State(s): State<AppState>,
    staff: Staff,
    mut form: Multipart,
) -> Result<Response, WebError> {
    // The session and CSRF token were checked by `attachments::guard` before the
    // body was read, and its declared size against `IMPORT_LIMIT`; an account that
    // imports nothing is refused before the body is read too.
    let ctx = staff.context(s.clock.now());
    let mut may_any = false;
    for k in Kind::ON_THE_WEB {
        may_any |= s.app.may_import(&ctx, *k).await?;
    }
    if !may_any {
        return Err(WebError::Forbidden);
    }
    let back = || "/staff/import".to_string();
    let cut_off = |e: axum::extract::multipart::MultipartError| WebError::Refused {
        message: format!(
            "上传未完成（文件可能超过 {} MB 的上限）：{e}",
            FILE_LIMIT / 1024 / 1024
        ),
        back: back(),
    };
    let (mut kind, mut file_name, mut data) = (String::new(), String::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(cut_off)? {
        match field.name().unwrap_or("") {
            "file" => {
                file_name = field.file_name().unwrap_or("").to_string();
                data = field.bytes().await.map_err(cut_off)?.to_vec();
            }
            "kind" => kind = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let Some(kind) = Kind::from_code(&kind).filter(|k| Kind::ON_THE_WEB.contains(k)) else {
        return Err(WebError::Refused {
            message: "请选择要导入的名录或清单".into(),
            back: back(),
        });
    };
    if !s.app.may_import(&ctx, kind).await? {
        return Err(WebError::Forbidden);
    }
    let extension = std::path::Path::new(&file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| matches!(e.as_str(), "csv" | "xlsx" | "txt" | "tsv"));
    let outcome = match (data.is_empty(), extension) {
        (true, _) => refused(
            kind,
            file_name,
            AppError::invalid_field("file", "请选择要上传的文件"),
        )?,
        (false, None) => refused(
            kind,
            file_name,
            AppError::invalid_field(
                "file",
                "只能导入 .xlsx 或 .csv 文件（请用导入模板，在 Excel 或 WPS 中另存为这两种格式之一）",
            ),
        )?,
        (false, Some(ext)) => {
            let token = liancha_store::accounts::random_token();
            let file_name = safe_name(&file_name, &ext);
            let dir = tempfile::Builder::new()
                .prefix("liancha-import-")
                .tempdir()
                .and_then(|dir| {
                    std::fs::write(dir.path().join(&file_name), &data)?;
                    Ok(dir)
                })
                .map_err(|e| WebError::BadRequest(format!("无法暂存上传的文件：{e}")))?;
            drop(data);
            let pending = Pending {
                user_id: staff.principal.user_id,
                county: staff.county.code.clone(),
                kind,
                dir,
                file_name: file_name.clone(),
                at: Instant::now(),
                errors: Vec::new(),
            };
            let previewed = {
                let _turn = s.imports.gate.acquire().await;
                s.app.preview_import(&ctx, kind, &pending.path()).await
            };
            match previewed {
                Ok(preview) => {
                    // Kept only once previewed: a refused file is deleted at once.
                    s.imports.add(token.clone(), pending);
                    Outcome::Preview {
                        token,
                        kind,
                        preview,
                    }
                }
                Err(e) => {
                    // A file refused for its rows is kept for the download of them.
                    let kept = match &e {
                        AppError::Store(StoreError::Import { errors, .. })
                            if !errors.is_empty() =>
                        {
                            let mut pending = pending;
                            pending.errors = errors.clone();
                            s.imports.add(token.clone(), pending);
                            Some(token)
                        }
                        _ => None,
                    };
                    let mut outcome = refused(kind, file_name, e)?;
                    if let Outcome::Refused { errors_file, .. } = &mut outcome {
                        *errors_file = kept;
                    }
                    outcome
                }
            }
        }
    };
    let status = match outcome {
        Outcome::Preview { .. } => axum::http::StatusCode::OK,
        Outcome::Refused { .. } => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
    };
    let chosen = kind.code().to_string();
    Ok((
        status,
        Html(page(&s, staff, chosen, None, Some(outcome)).await?),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
    /// The preview's counts of new and changed rows, as the clerk read them.
    #[serde(default)]
    new: Option<u64>,
    #[serde(default)]
    changed: Option<u64>,
    /// Records the preview said the import takes away (check points).
    #[serde(default)]
    removed: Option<u64>,
    /// Rows the preview said the import leaves alone (the province's file).
    #[serde(default)]
    skipped: Option<u64>,
    /// The digest of the plan previewed (the province's file).
    #[serde(default)]
    digest: String,
}

/// The confirmation of a previewed upload: the import itself.
pub async fn confirm(
    State(s): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(staff, f): CsrfForm<ConfirmForm>,
) -> Result<Response, WebError> {
    let Some(pending) = s.imports.take(&token, &staff) else {
        return Err(WebError::Refused {
            message: "这次上传已过期或已导入（上传后须在一小时内确认），请重新上传文件".into(),
            back: "/staff/import".into(),
        });
    };
    let kind = pending.kind;
    let ctx = staff.context(s.clock.now());
    let expected = f.new.zip(f.changed).map(|(new, changed)| Seen {
        new,
        changed,
        removed: f.removed.unwrap_or(0),
        skipped: f.skipped.unwrap_or(0),
        digest: f.digest.clone(),
    });
    let imported = {
        let _turn = s.imports.gate.acquire().await;
        s.app
            .import_directory(&ctx, kind, &pending.path(), expected, ticked(&f.confirm))
            .await
    };
    match imported {
        Ok(p) => Ok(Redirect::to(&format!(
            "/staff/import?kind={}&done=imported&rows={}&added={}&updated={}",
            kind.code(),
            p.rows,
            p.new,
            p.changed
        ))
        .into_response()),
        Err(AppError::Invalid { field, message }) if field.as_deref() == Some("confirm") => {
            // Not yet confirmed: the upload waits on.
            s.imports.add(token, pending);
            Err(WebError::Refused {
                message,
                back: "/staff/import".into(),
            })
        }
        Err(e) => {
            let outcome = refused(kind, pending.file_name.clone(), e)?;
            let page = page(&s, staff, kind.code().into(), None, Some(outcome)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
    }
}

/// The bad rows of a refused upload, with what is wrong with each, as an XLSX the
/// clerk corrects in Excel.
pub async fn bad_rows(
    State(s): State<AppState>,
    Path(token): Path<String>,
    staff: Staff,
) -> Result<Response, WebError> {
    let (kind, path, errors) = s
        .imports
        .refused(&token, &staff)
        .ok_or_else(|| WebError::NotFound("这次上传的问题清单（已过期，请重新上传）".into()))?;
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = dir.path().join("bad-rows.xlsx");
        liancha_store::import::write_bad_rows(kind, &path, &errors, &out)
            .map_err(|e| e.to_string())?;
        std::fs::read(&out).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| WebError::BadRequest(e.to_string()))?
    .map_err(WebError::BadRequest)?;
    Ok(crate::pages::sheet_download(
        bytes,
        &format!("{}-errors.xlsx", kind.code()),
        &format!("{}有问题的行.xlsx", kind.label()),
        false,
    ))
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn an_uploaded_name_is_kept_but_made_safe() {
        assert_eq!(safe_name("名录.csv", "csv"), "名录.csv");
        assert_eq!(
            safe_name("C:\\Users\\张\\名录 2026.XLSX", "xlsx"),
            "名录 2026.xlsx"
        );
        assert_eq!(safe_name("../../etc/passwd.csv", "csv"), "passwd.csv");
        assert_eq!(safe_name("..csv", "csv"), "upload.csv");
        assert_eq!(safe_name("", "csv"), "upload.csv");
        assert_eq!(safe_name(&"长".repeat(300), "csv").len(), 150 + 4);
    }
}
