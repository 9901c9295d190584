//! The item list on the staff side: the list (searched, a page at a time, exported),
//! an item's page with its published version, its draft, the form that drafts it,
//! publishing and withdrawing (each with a reason), its versions and its history.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_app::AppError;
use liancha_app::items::{ItemLine, ItemQuery, ItemRecord, ItemState};
use liancha_domain::rows::{self, ITEM_COLUMNS};
use liancha_domain::setup_rows::bp_percent;
use liancha_domain::{EntityType, InspectionMethod, Item, ItemCategory};
use serde::Deserialize;

use super::inspectors::FormatOnly;
use super::{Paged, paged, query_string, refused_status, written};
use crate::pages::{sheet_download, url_encode};
use crate::session::{CsrfForm, Staff};
use crate::setup::{FormError, again};
use crate::staff::Names;
use crate::{AppState, WebError};

#[derive(Deserialize, Default, Clone)]
pub struct ItemsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

#[derive(Template)]
#[template(path = "staff/items.html")]
struct ItemsPage {
    staff: Staff,
    names: Names,
    query: ItemsQuery,
    base: String,
    rows: Vec<ItemLine>,
    total: i64,
    page: i64,
    pages: i64,
    categories: &'static [ItemCategory],
    /// Whether the principal drafts items of some department.
    drafts: bool,
    notice: Option<&'static str>,
}

/// 5.5 for 550 basis points.
fn percent(bp: &u32) -> String {
    bp_percent(*bp)
}

impl ItemsPage {
    fn pct(&self, bp: &u32) -> String {
        percent(bp)
    }

    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = format!("page={}", page.borrow());
        super::link("/staff/items", &self.base, &page)
    }
}

fn done(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "草稿已保存。公开的清单不变，发布后才生效。",
        "published" => "已发布：公开的抽查事项清单自即日起显示这一版本。",
        "withdrawn" => {
            "已撤回：该事项不再出现在公开清单中，此后新建的任务不能选用；已有任务不受影响。"
        }
        "discarded" => "草稿已放弃。",
        _ => return None,
    })
}

pub async fn items(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<ItemsQuery>,
) -> Result<Html<String>, WebError> {
    let ctx = staff.context(s.clock.now());
    let q = ItemQuery {
        text: query.q.chars().take(64).collect(),
        department: Some(query.department.trim().to_string()).filter(|d| !d.is_empty()),
        category: ItemCategory::from_code(&query.category),
        state: ItemState::parse(&query.state),
    };
    let refused = |e| WebError::refused(e, "/staff".into());
    let all = s.app.staff_items(&ctx, &q).await.map_err(refused)?;
    let drafts = !s.app.item_keepers(&ctx).await.map_err(refused)?.is_empty();
    let Paged {
        rows,
        total,
        page,
        pages,
    } = paged(all, &query.page);
    Ok(Html(
        ItemsPage {
            names: Names::load(&s, &staff.county.code).await?,
            base: query_string(&[
                ("q", &query.q),
                ("department", &query.department),
                ("category", &query.category),
                ("state", &query.state),
            ]),
            notice: done(&query.done),
            query,
            rows,
            total,
            page,
            pages,
            categories: ItemCategory::ALL,
            drafts,
            staff,
        }
        .render()?,
    ))
}

pub async fn export_items(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<FormatOnly>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let csv = q.format == "csv";
    let ext = if csv { "csv" } else { "xlsx" };
    let bytes = written(
        ext,
        |path| async move { s.app.export_items(&ctx, &path).await },
    )
    .await?;
    Ok(sheet_download(
        bytes,
        &format!("items.{ext}"),
        &format!("{}随机抽查事项清单.{ext}", staff.county_name()),
        csv,
    ))
}

/// The item form, by the import's column keys; lists as ticked boxes.
#[derive(Deserialize, Default, Clone)]
pub struct ItemForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    entity_types: Vec<String>,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    ratio: String,
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    cooperating: Vec<String>,
    #[serde(default)]
    national_code: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    revision: String,
}

impl ItemForm {
    fn of(i: &Item) -> Self {
        ItemForm {
            code: i.code.clone(),
            name: i.name.clone(),
            legal_basis: i.legal_basis.clone(),
            department: i.department.clone(),
            content: i.content.clone(),
            methods: i.methods.iter().map(|m| m.code().to_string()).collect(),
            authority: i.authority.clone(),
            entity_types: i
                .entity_types
                .iter()
                .map(|t| t.code().to_string())
                .collect(),
            specialty: i.specialty.clone().unwrap_or_default(),
            category: i.category.code().into(),
            ratio: i.ratio_bp.map(bp_percent).unwrap_or_default(),
            frequency: i.frequency.map(|n| n.to_string()).unwrap_or_default(),
            cooperating: i.cooperating.clone(),
            national_code: i.national_code.clone().unwrap_or_default(),
            ..ItemForm::default()
        }
    }

    /// A draft's cells as the form shows them (the cells are what the form sent).
    fn of_cells(c: &BTreeMap<String, String>) -> Self {
        let get = |k: &str| c.get(k).cloned().unwrap_or_default();
        let list = |k: &str| {
            get(k)
                .split('、')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        ItemForm {
            code: get("code"),
            name: get("name"),
            legal_basis: get("legal_basis"),
            department: get("department"),
            content: get("content"),
            methods: list("methods"),
            authority: get("authority"),
            entity_types: list("entity_types"),
            specialty: get("specialty"),
            category: get("category"),
            ratio: get("ratio"),
            frequency: get("frequency"),
            cooperating: list("cooperating"),
            national_code: get("national_code"),
            ..ItemForm::default()
        }
    }

    /// The cells the import's rules read, by column key.
    fn cells(&self) -> BTreeMap<String, String> {
        let join = |xs: &[String]| xs.join("、");
        [
            ("code", self.code.trim().to_string()),
            ("name", self.name.clone()),
            ("legal_basis", self.legal_basis.clone()),
            ("department", self.department.clone()),
            ("content", self.content.clone()),
            ("methods", join(&self.methods)),
            ("authority", self.authority.clone()),
            ("entity_types", join(&self.entity_types)),
            ("specialty", self.specialty.clone()),
            ("category", self.category.clone()),
            ("ratio", self.ratio.clone()),
            ("frequency", self.frequency.clone()),
            ("cooperating", join(&self.cooperating)),
            ("national_code", self.national_code.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Whether a box is ticked (askama passes arguments by reference).
    fn has_method(&self, code: &str) -> bool {
        self.methods.iter().any(|m| m == code)
    }
    fn has_type(&self, code: &str) -> bool {
        self.entity_types.iter().any(|m| m == code)
    }
    fn cooperates(&self, code: &str) -> bool {
        self.cooperating.iter().any(|m| m == code)
    }
}

/// What an item's page posts: the form (the draft's fields), which step, the
/// reason, and the versions the page showed. One flat struct: a flattened one would
/// not read a list ticked once.
pub type ItemPost = ItemForm;

#[derive(Template)]
#[template(path = "staff/item.html")]
struct ItemPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    /// None on the page of a new item.
    r: Option<ItemRecord>,
    form: ItemForm,
    reason: String,
    /// The departments the form offers (the principal's).
    keepers: Vec<String>,
    methods: &'static [InspectionMethod],
    types: &'static [EntityType],
    categories: &'static [ItemCategory],
    /// Which form the error is of: "draft", "publish", "withdraw".
    error_in: String,
    error: Option<FormError>,
    /// Every field of the draft form the rules refused, each with its reason.
    fields: Vec<FormError>,
}

impl ItemPage {
    fn pct(&self, bp: &u32) -> String {
        percent(bp)
    }

    fn err(&self, form: &str, field: &str) -> Option<&str> {
        if form == "draft" && !self.fields.is_empty() {
            return self
                .fields
                .iter()
                .find(|e| e.on(field))
                .map(|e| e.message.as_str());
        }
        self.error
            .as_ref()
            .filter(|e| self.error_in == form && e.on(field))
            .map(|e| e.message.as_str())
    }

    /// An error of `form` not beside one of its fields.
    fn general_error(&self, form: &str) -> Option<&str> {
        if form == "draft" && !self.fields.is_empty() {
            return Some("请按各栏旁的说明改正");
        }
        let on_field = |f: &str| ITEM_COLUMNS.iter().any(|c| c.key == f) || f == "reason";
        self.error
            .as_ref()
            .filter(|e| self.error_in == form && !on_field(&e.field))
            .map(|e| e.message.as_str())
    }

    fn version(&self) -> i64 {
        self.r.as_ref().map_or(0, |r| r.version)
    }

    /// The revision of the draft the page shows (0: none).
    fn draft_revision(&self) -> i64 {
        self.r
            .as_ref()
            .and_then(|r| r.draft.as_ref())
            .map_or(0, |d| d.revision)
    }

    /// A refusal of a section the page no longer shows (the draft published or
    /// discarded by someone else, the item withdrawn meanwhile): said at the top.
    fn orphan_error(&self) -> Option<&str> {
        let r = self.r.as_ref()?;
        let shown = match self.error_in.as_str() {
            "publish" => r.draft.is_some() && r.editable,
            "withdraw" => r.item.as_ref().is_some_and(|i| i.published) && r.editable,
            _ => true,
        };
        self.error
            .as_ref()
            .filter(|_| !shown)
            .map(|e| e.message.as_str())
    }

    fn action(&self) -> String {
        match &self.r {
            Some(r) => format!("/staff/items/{}", url_encode(&self.form_code(r))),
            None => "/staff/items".into(),
        }
    }

    /// What publishing the draft changes: (column, now, in the draft).
    fn draft_changes(&self) -> Vec<(&'static str, String, String)> {
        let Some(r) = &self.r else {
            return Vec::new();
        };
        let (Some(item), Some(drafted)) = (&r.item, &r.drafted) else {
            return Vec::new();
        };
        let names = |c: &str| self.names.dept(c);
        let before = rows::item_cells(item, &names);
        let after = rows::item_cells(drafted, &names);
        ITEM_COLUMNS
            .iter()
            .zip(before.into_iter().zip(after))
            .filter(|(c, (b, a))| c.key != "published" && b != a)
            .map(|(c, (b, a))| (c.header, b, a))
            .collect()
    }

    /// The department that keeps the item.
    fn department(&self) -> String {
        self.r
            .as_ref()
            .and_then(|r| {
                r.item
                    .as_ref()
                    .map(|i| i.department.clone())
                    .or_else(|| r.draft.as_ref().map(|d| d.department.clone()))
            })
            .unwrap_or_default()
    }

    fn form_code(&self, r: &ItemRecord) -> String {
        r.item
            .as_ref()
            .map(|i| i.code.clone())
            .or_else(|| r.draft.as_ref().map(|d| d.code.clone()))
            .unwrap_or_default()
    }
}

struct Typed {
    /// None: as saved (a refused publish or withdrawal sends no form).
    form: Option<ItemForm>,
    reason: String,
    error_in: String,
    error: FormError,
    fields: Vec<FormError>,
}

async fn item_page(
    s: &AppState,
    staff: Staff,
    code: Option<&str>,
    notice: Option<&'static str>,
    typed: Option<Typed>,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let refused = |e| WebError::refused(e, "/staff/items".into());
    let r = match code {
        Some(code) => Some(s.app.item_record(&ctx, code).await.map_err(refused)?),
        None => None,
    };
    let keepers = s.app.item_keepers(&ctx).await.map_err(refused)?;
    if r.is_none() && keepers.is_empty() {
        return Err(refused(AppError::Forbidden));
    }
    let shown = match &r {
        Some(r) => match (&r.draft, &r.item) {
            (Some(d), _) => ItemForm::of_cells(&d.cells),
            (None, Some(i)) => ItemForm::of(i),
            (None, None) => ItemForm::default(),
        },
        None => ItemForm {
            department: keepers.first().cloned().unwrap_or_default(),
            category: ItemCategory::General.code().into(),
            ..ItemForm::default()
        },
    };
    let (form, reason, error_in, error, fields) = match typed {
        Some(t) => (
            t.form.unwrap_or(shown),
            t.reason,
            t.error_in,
            Some(t.error),
            t.fields,
        ),
        None => (shown, String::new(), String::new(), None, Vec::new()),
    };
    Ok(ItemPage {
        names: Names::load(s, &staff.county.code).await?,
        staff,
        notice,
        r,
        form,
        reason,
        keepers,
        methods: InspectionMethod::ALL,
        types: EntityType::ALL,
        categories: ItemCategory::ALL,
        error_in,
        error,
        fields,
    }
    .render()?)
}

pub async fn new_item(State(s): State<AppState>, staff: Staff) -> Result<Html<String>, WebError> {
    Ok(Html(item_page(&s, staff, None, None, None).await?))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub async fn item(
    State(s): State<AppState>,
    Path(code): Path<String>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        item_page(&s, staff, Some(&code), done(&q.done), None).await?,
    ))
}

/// A new item's first draft.
pub async fn create_item(
    State(s): State<AppState>,
    CsrfForm(staff, post): CsrfForm<ItemPost>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.save_item_draft(&ctx, &post.cells(), 0, 0).await {
        Ok(code) => Ok(Redirect::to(&format!(
            "/staff/items/{}?done=saved#notice",
            url_encode(&code)
        ))
        .into_response()),
        Err(e) => refused_page(&s, staff, None, post, "draft", e).await,
    }
}

/// An item's page posts one of: save the draft, publish it, discard it, withdraw.
pub async fn post_item(
    State(s): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(staff, post): CsrfForm<ItemPost>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let number = |v: &str| v.trim().parse::<i64>().unwrap_or(-1);
    let (form, outcome) = match post.action.as_str() {
        "publish" => (
            "publish",
            s.app
                .publish_item(&ctx, &code, number(&post.revision), &post.reason)
                .await
                .map(|_| "published"),
        ),
        "discard" => (
            "publish",
            s.app
                .discard_item_draft(&ctx, &code, number(&post.revision))
                .await
                .map(|_| "discarded"),
        ),
        "withdraw" => (
            "withdraw",
            s.app
                .withdraw_item(&ctx, &code, number(&post.version), &post.reason)
                .await
                .map(|_| "withdrawn"),
        ),
        _ => {
            let mut cells = post.cells();
            // The code of an item's page is the item's.
            cells.insert("code".into(), code.clone());
            (
                "draft",
                s.app
                    .save_item_draft(
                        &ctx,
                        &cells,
                        number(&post.version),
                        number(&post.revision).max(0),
                    )
                    .await
                    .map(|_| "saved"),
            )
        }
    };
    match outcome {
        // A discarded new item has no page left: back to the list.
        Ok("discarded") => Ok(Redirect::to("/staff/items?done=discarded#notice").into_response()),
        Ok(done) => Ok(Redirect::to(&format!(
            "/staff/items/{}?done={done}#notice",
            url_encode(&code)
        ))
        .into_response()),
        Err(e) => refused_page(&s, staff, Some(&code), post, form, e).await,
    }
}

async fn refused_page(
    s: &AppState,
    staff: Staff,
    code: Option<&str>,
    mut post: ItemPost,
    form: &str,
    e: AppError,
) -> Result<Response, WebError> {
    let status = refused_status(&e);
    // A refused draft: every field the rules refuse, each beside its own.
    let fields = match (&e, form) {
        (AppError::Invalid { field: Some(f), .. }, "draft")
            if ITEM_COLUMNS.iter().any(|c| c.key == f) =>
        {
            let mut cells = post.cells();
            if let Some(code) = code {
                cells.insert("code".into(), code.to_string());
            }
            s.app
                .item_cell_errors(&staff.context(s.clock.now()), &cells)
                .await
                .map_err(|e| WebError::refused(e, "/staff/items".into()))?
                .into_iter()
                .map(|(field, message)| FormError { field, message })
                .collect()
        }
        _ => Vec::new(),
    };
    let error = FormError::of(e)?;
    let reason = std::mem::take(&mut post.reason);
    let mut typed_form = post;
    if let Some(code) = code {
        typed_form.code = code.to_string();
    }
    // Publishing or withdrawing sends no draft form: the page shows it as saved.
    let typed = (form == "draft").then_some(typed_form);
    let page = item_page(
        s,
        staff,
        code,
        None,
        Some(Typed {
            form: typed,
            reason,
            error_in: form.into(),
            error,
            fields,
        }),
    )
    .await?;
    let mut res = again(Html(page));
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Template)]
#[template(path = "staff/joint_lists.html")]
struct JointListsPage {
    staff: Staff,
    names: Names,
    lines: Vec<liancha_app::items::JointListLine>,
    /// Item code → name.
    items: BTreeMap<String, String>,
    approves: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

impl JointListsPage {
    fn item_name(&self, code: &str) -> String {
        self.items.get(code).cloned().unwrap_or_default()
    }

    /// Items a waiting list has that its last approved revision had not.
    fn added<'a>(&self, l: &'a liancha_app::items::JointListLine) -> Vec<&'a String> {
        l.list
            .items
            .iter()
            .filter(|i| !l.approval.approved_items.contains(i))
            .collect()
    }

    /// Items of the last approved revision a waiting list no longer has.
    fn removed<'a>(&self, l: &'a liancha_app::items::JointListLine) -> Vec<&'a String> {
        l.approval
            .approved_items
            .iter()
            .filter(|i| !l.list.items.contains(i))
            .collect()
    }
}

async fn joint_lists_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let refused = |e| WebError::refused(e, "/staff".into());
    let lines = s.app.joint_lists(&ctx).await.map_err(refused)?;
    let items = s
        .app
        .staff_items(&ctx, &ItemQuery::default())
        .await
        .map_err(refused)?
        .into_iter()
        .map(|l| (l.item.code, l.item.name))
        .collect();
    Ok(JointListsPage {
        names: Names::load(s, &staff.county.code).await?,
        approves: staff.may(&liancha_domain::auth::Action::ApproveJointLists),
        staff,
        lines,
        items,
        notice,
        error,
    }
    .render()?)
}

pub async fn joint_lists(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    let notice = match q.done.as_str() {
        "approved" => Some("已审定：该清单自即日起向社会公布。"),
        "returned" => Some("已退回：该清单回到草稿，由牵头部门修改后重新报请公布。"),
        _ => None,
    };
    Ok(Html(joint_lists_page(&s, staff, notice, None).await?))
}

#[derive(Deserialize, Default)]
pub struct ApprovePost {
    #[serde(default)]
    revision: String,
    #[serde(default)]
    reason: String,
}

pub async fn return_joint_list(
    State(s): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(staff, post): CsrfForm<ApprovePost>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let revision = post.revision.trim().parse::<i64>().unwrap_or(-1);
    match s
        .app
        .return_joint_list(&ctx, &code, revision, &post.reason)
        .await
    {
        Ok(()) => Ok(Redirect::to("/staff/joint-lists?done=returned#notice").into_response()),
        Err(e) => refused_lists(&s, staff, e).await,
    }
}

/// A refused approval or return: the lists again, the reason above them.
async fn refused_lists(s: &AppState, staff: Staff, e: AppError) -> Result<Response, WebError> {
    let status = refused_status(&e);
    let error = FormError::of(e)?;
    let page = joint_lists_page(s, staff, None, Some(error.message)).await?;
    let mut res = again(Html(page));
    *res.status_mut() = status;
    Ok(res)
}

pub async fn approve_joint_list(
    State(s): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(staff, post): CsrfForm<ApprovePost>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let revision = post.revision.trim().parse::<i64>().unwrap_or(-1);
    match s.app.approve_joint_list(&ctx, &code, revision).await {
        Ok(()) => Ok(Redirect::to("/staff/joint-lists?done=approved#notice").into_response()),
        Err(e) => refused_lists(&s, staff, e).await,
    }
}
