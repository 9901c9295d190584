//! The item lists (随机抽查事项清单), kept with every version, and the joint item lists.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use liancha_domain::{Domain, EntityType, InspectionMethod, Item, ItemCategory, JointItemList};

use crate::BeginWrite;
use crate::directories::now;
use crate::{County, Result, StoreError, with_pool};

/// The joint item lists naming an item (`$1`).
pub(crate) const LISTS_NAMING: &str = "SELECT list_code FROM joint_item_list_items WHERE county = $C AND item_code = $1 ORDER BY list_code";

/// Why a file is refused that would unpublish items joint lists name;
/// `listed`: each such item with its lists.
pub(crate) fn listed_refusal(listed: &[String]) -> StoreError {
    StoreError::WrongState(format!(
        "导入失败，未导入任何记录：联合抽查事项清单列有的事项不能改为未发布：{}；\
         请先在系统设置中把它们从清单移出（清单经编办重新审定），再导入",
        listed.join("，")
    ))
}

#[derive(sqlx::FromRow, PartialEq, Eq)]
pub(crate) struct ItemRow {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) legal_basis: String,
    pub(crate) department: String,
    pub(crate) content: String,
    pub(crate) methods: String,
    pub(crate) authority: String,
    pub(crate) entity_types: String,
    pub(crate) published: bool,
    pub(crate) specialty: String,
    pub(crate) category: String,
    pub(crate) ratio_bp: i64,
    pub(crate) frequency: i64,
    pub(crate) cooperating: String,
    pub(crate) national_code: String,
}

fn join_codes<T: Copy>(xs: &[T], code: fn(T) -> &'static str) -> String {
    xs.iter().map(|x| code(*x)).collect::<Vec<_>>().join(",")
}

fn parse_codes<T>(s: &str, parse: fn(&str) -> Option<T>) -> Result<Vec<T>> {
    s.split(',')
        .filter(|c| !c.is_empty())
        .map(|c| parse(c).ok_or_else(|| StoreError::corrupt(format!("code {c}"))))
        .collect()
}

impl From<&Item> for ItemRow {
    fn from(i: &Item) -> Self {
        ItemRow {
            code: i.code.clone(),
            name: i.name.clone(),
            legal_basis: i.legal_basis.clone(),
            department: i.department.clone(),
            content: i.content.clone(),
            methods: join_codes(&i.methods, InspectionMethod::code),
            authority: i.authority.clone(),
            entity_types: join_codes(&i.entity_types, EntityType::code),
            published: i.published,
            specialty: i.specialty.clone().unwrap_or_default(),
            category: i.category.code().into(),
            ratio_bp: i64::from(i.ratio_bp.unwrap_or(0)),
            frequency: i64::from(i.frequency.unwrap_or(0)),
            cooperating: i.cooperating.join(","),
            national_code: i.national_code.clone().unwrap_or_default(),
        }
    }
}

impl TryFrom<ItemRow> for Item {
    type Error = StoreError;
    fn try_from(r: ItemRow) -> Result<Self> {
        Ok(Item {
            methods: parse_codes(&r.methods, InspectionMethod::from_code)?,
            entity_types: parse_codes(&r.entity_types, EntityType::from_code)?,
            code: r.code,
            name: r.name,
            legal_basis: r.legal_basis,
            department: r.department,
            content: r.content,
            authority: r.authority,
            published: r.published,
            specialty: Some(r.specialty).filter(|s| !s.is_empty()),
            category: ItemCategory::from_code(&r.category)
                .ok_or_else(|| StoreError::corrupt(format!("item category {}", r.category)))?,
            ratio_bp: positive(r.ratio_bp)?,
            frequency: positive(r.frequency)?,
            cooperating: r
                .cooperating
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            national_code: Some(r.national_code).filter(|s| !s.is_empty()),
        })
    }
}

/// 0 stands for "not set" in the ratio and frequency columns.
fn positive(v: i64) -> Result<Option<u32>> {
    if v == 0 {
        return Ok(None);
    }
    u32::try_from(v)
        .map(Some)
        .map_err(|_| StoreError::corrupt(format!("item number {v}")))
}

pub(crate) const ITEM_FIELDS: &str = "code, name, legal_basis, department, content, methods, authority, entity_types, published, specialty, \
                           category, ratio_bp, frequency, cooperating, national_code";

/// What writing a batch of items did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemsWritten {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// One recorded state of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVersion {
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub item: Item,
}

/// The end of a calendar day in China (UTC+8), as an instant: the list "as published
/// on D" is what had been recorded before midnight Beijing time.
pub fn end_of_day_china(day: NaiveDate) -> DateTime<Utc> {
    let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    next.and_time(NaiveTime::MIN).and_utc() - chrono::Duration::hours(8)
}

/// What writing one item did: nothing (no field changed), or its new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Unchanged,
    Version(i64),
}

/// Writes one item in an open transaction: a new version when any field changed
/// (publication and withdrawal included), kept in the item's history.
macro_rules! write_item {
    ($c:expr, $tx:expr, $item:expr, $at:expr) => {{
        let new = $crate::items::ItemRow::from($item);
        let sql = format!(
            "SELECT {}, version FROM items WHERE county = $C AND code = $1",
            $crate::items::ITEM_FIELDS
        );
        let current: Option<$crate::items::CurrentItem> = $c
            .query_as(&sql)
            .bind(&new.code)
            .fetch_optional(&mut **$tx)
            .await?;
        match current {
            Some(c) if c.row == new => $crate::items::Written::Unchanged,
            current => {
                let version = current.map_or(1, |c| c.version + 1);
                let written = $c.query(
                    "INSERT INTO items (county, code, name, legal_basis, department, content, methods, authority, entity_types, \
                     published, version, updated_at, specialty, category, ratio_bp, frequency, cooperating, national_code) \
                     VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                     ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, legal_basis = excluded.legal_basis, \
                     department = excluded.department, content = excluded.content, methods = excluded.methods, \
                     authority = excluded.authority, entity_types = excluded.entity_types, \
                     published = excluded.published, version = excluded.version, updated_at = excluded.updated_at, \
                     specialty = excluded.specialty, category = excluded.category, ratio_bp = excluded.ratio_bp, \
                     frequency = excluded.frequency, cooperating = excluded.cooperating, national_code = excluded.national_code \
                     WHERE items.version = $18")
                    .bind(&new.code).bind(&new.name).bind(&new.legal_basis).bind(&new.department)
                    .bind(&new.content).bind(&new.methods).bind(&new.authority).bind(&new.entity_types)
                    .bind(new.published).bind(version).bind($at).bind(&new.specialty)
                    .bind(&new.category).bind(new.ratio_bp).bind(new.frequency).bind(&new.cooperating).bind(&new.national_code)
                    .bind(version - 1)
                    .execute(&mut **$tx).await?;
                // Another writer took this version meanwhile (PostgreSQL reads what
                // others committed): refused, not a duplicate version.
                if written.rows_affected() != 1 {
                    return Err($crate::StoreError::Conflict(format!(
                        "事项 {} 同时被他人修改，本次未保存；请查看最新内容后再操作",
                        new.code
                    )));
                }
                $c.query(
                    "INSERT INTO item_versions (county, code, version, name, legal_basis, department, content, methods, \
                     authority, entity_types, published, recorded_at, specialty, category, ratio_bp, frequency, cooperating, national_code) \
                     VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")
                    .bind(&new.code).bind(version).bind(&new.name).bind(&new.legal_basis).bind(&new.department)
                    .bind(&new.content).bind(&new.methods).bind(&new.authority).bind(&new.entity_types)
                    .bind(new.published).bind($at).bind(&new.specialty)
                    .bind(&new.category).bind(new.ratio_bp).bind(new.frequency).bind(&new.cooperating).bind(&new.national_code)
                    .execute(&mut **$tx).await?;
                $crate::items::Written::Version(version)
            }
        }
    }};
}
pub(crate) use write_item;

impl County<'_> {
    /// Writes items in one transaction. An item whose fields did not change gets no new
    /// version; any change, publication or withdrawal included, is kept as a version.
    pub async fn put_items(&self, items: &[Item]) -> Result<ItemsWritten> {
        let at = now();
        let mut written = ItemsWritten::default();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut listed = Vec::new();
            // In code order, as save_joint_item_lists locks them: two writers never
            // wait for each other's rows crosswise (a PostgreSQL deadlock).
            let mut ordered: Vec<&Item> = items.iter().collect();
            ordered.sort_by(|a, b| a.code.cmp(&b.code));
            for item in ordered {
                match write_item!(self, &mut tx, item, at) {
                    Written::Unchanged => written.unchanged += 1,
                    Written::Version(1) => written.inserted += 1,
                    Written::Version(_) => {
                        written.updated += 1;
                        // Read after the write, as withdraw_item does (see there).
                        if !item.published {
                            let lists: Vec<String> = self.query_scalar(LISTS_NAMING)
                                .bind(&item.code).fetch_all(&mut *tx).await?;
                            if !lists.is_empty() {
                                listed.push(format!("{}（{}）", item.code, lists.join("、")));
                            }
                        }
                    }
                }
            }
            if !listed.is_empty() {
                // Dropped uncommitted: nothing of the file is written.
                return Err(listed_refusal(&listed));
            }
            tx.commit().await?;
        });
        Ok(written)
    }

    pub async fn item(&self, code: &str) -> Result<Option<Item>> {
        let sql = format!("SELECT {ITEM_FIELDS} FROM items WHERE county = $C AND code = $1");
        let row: Option<ItemRow> =
            with_pool!(self, p => self.query_as(&sql).bind(code).fetch_optional(p).await)?;
        row.map(Item::try_from).transpose()
    }

    /// The current items in code order; `published_only` for what the public sees.
    pub async fn items(&self, published_only: bool) -> Result<Vec<Item>> {
        let sql = format!(
            "SELECT {ITEM_FIELDS} FROM items WHERE county = $C{} ORDER BY code",
            if published_only { " AND published" } else { "" }
        );
        let rows: Vec<ItemRow> = with_pool!(self, p => self.query_as(&sql).fetch_all(p).await)?;
        rows.into_iter().map(Item::try_from).collect()
    }

    /// The published item list as it stood at the end of `day` (Beijing time).
    pub async fn items_as_published_on(&self, day: NaiveDate) -> Result<Vec<Item>> {
        let at = end_of_day_china(day);
        let sql = format!(
            "SELECT {ITEM_FIELDS} FROM item_versions v WHERE v.county = $C AND v.recorded_at < $1 AND v.published \
             AND v.version = (SELECT MAX(w.version) FROM item_versions w \
                              WHERE w.county = v.county AND w.code = v.code AND w.recorded_at < $1) \
             ORDER BY v.code"
        );
        let rows: Vec<ItemRow> =
            with_pool!(self, p => self.query_as(&sql).bind(at).fetch_all(p).await)?;
        rows.into_iter().map(Item::try_from).collect()
    }

    /// Every version of an item, oldest first.
    pub async fn item_history(&self, code: &str) -> Result<Vec<ItemVersion>> {
        let sql = format!(
            "SELECT {ITEM_FIELDS}, version, recorded_at FROM item_versions WHERE county = $C AND code = $1 ORDER BY version"
        );
        let rows: Vec<VersionRow> =
            with_pool!(self, p => self.query_as(&sql).bind(code).fetch_all(p).await)?;
        rows.into_iter()
            .map(|r| {
                Ok(ItemVersion {
                    version: r.version,
                    recorded_at: r.recorded_at,
                    item: Item::try_from(r.row)?,
                })
            })
            .collect()
    }

    /// Creates or replaces joint item lists and their members, all or none, each with
    /// its audit entry. Checked in the transaction that writes them: the lead
    /// department is the county's, and every item is on the county's item list.
    /// Returns how many lists were new.
    pub async fn save_joint_item_lists(
        &self,
        lists: &[JointItemList],
        actor: &crate::accounts::Actor,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let invalid = |m: String| StoreError::invalid(m);
        for l in lists {
            if !liancha_domain::setup_rows::joint_list_code_ok(&l.code) {
                return Err(invalid(format!(
                    "清单编码「{}」不正确（字母、数字或 -，至多 32 位）",
                    l.code
                )));
            }
            let name = crate::posted("清单名称", l.name.trim(), liancha_domain::text::NAME)?;
            if name.is_empty() {
                return Err(invalid("请填写清单名称".into()));
            }
            if l.items.is_empty() {
                return Err(invalid(format!("清单 {} 至少须有一项抽查事项", l.code)));
            }
            if l.items.len() > 500 {
                return Err(invalid(format!("清单 {} 的事项超过 500 项", l.code)));
            }
            if let Some((_, dup)) = l
                .items
                .iter()
                .enumerate()
                .find(|(i, item)| l.items[..*i].contains(item))
            {
                return Err(invalid(format!("清单 {} 中事项 {dup} 重复", l.code)));
            }
        }
        if let Some((_, l)) = lists
            .iter()
            .enumerate()
            .find(|(i, l)| lists[..*i].iter().any(|o| o.code == l.code))
        {
            return Err(invalid(format!("清单 {} 出现两次", l.code)));
        }
        let before = self.joint_item_lists(false).await?;
        let value = |l: &JointItemList| {
            serde_json::json!({"name": l.name.trim(), "domain": l.domain.code(),
                "lead_department": l.lead_department, "items": l.items, "published": l.published})
        };
        let mut new = 0;
        let mut codes: Vec<&String> = lists.iter().flat_map(|l| &l.items).collect();
        codes.sort();
        codes.dedup();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // A write that locks each item's row until this commits (in code order,
            // as put_items writes them: no deadlock): a withdrawal meanwhile
            // (PostgreSQL, read committed) either came first and is seen here, or
            // waits and then sees this list (withdraw_item).
            let mut published: std::collections::BTreeMap<&String, Option<bool>> = Default::default();
            for code in codes {
                let p: Option<bool> = self.query_scalar(
                    "UPDATE items SET version = version WHERE county = $C AND code = $1 RETURNING published")
                    .bind(code).fetch_optional(&mut *tx).await?;
                published.insert(code, p);
            }
            for l in lists {
                let lead: i64 = self.query_scalar("SELECT COUNT(*) FROM departments WHERE county = $C AND code = $1")
                    .bind(&l.lead_department).fetch_one(&mut *tx).await?;
                if lead == 0 {
                    return Err(invalid(format!("清单 {}：牵头部门「{}」不是本县的部门", l.code, l.lead_department)));
                }
                for item in &l.items {
                    match published.get(item).copied().flatten() {
                        None => return Err(invalid(format!("清单 {}：事项 {item} 不在本县的抽查事项清单中", l.code))),
                        // A joint list is public: only items the public list has.
                        Some(false) => return Err(invalid(format!(
                            "清单 {}：事项 {item} 尚未发布或已撤回，不能列入联合抽查事项清单", l.code))),
                        Some(true) => {}
                    }
                }
                let was = before.iter().find(|b| b.code == l.code);
                // Read again here: an unchanged list keeps its approval and its
                // revision (a re-import of the same file asks nothing of the 编办).
                let now_items: Vec<String> = self.query_scalar(
                    "SELECT item_code FROM joint_item_list_items WHERE county = $C AND list_code = $1 ORDER BY position")
                    .bind(&l.code).fetch_all(&mut *tx).await?;
                let now_row: Option<(String, String, String, bool)> = self.query_as(
                    "SELECT name, domain, lead_department, published FROM joint_item_lists WHERE county = $C AND code = $1")
                    .bind(&l.code).fetch_optional(&mut *tx).await?;
                let same = now_row.as_ref().is_some_and(|(name, domain, lead, published)| {
                    name == l.name.trim() && domain == l.domain.code() && *lead == l.lead_department
                        && *published == l.published && now_items == l.items
                });
                if same {
                    continue;
                }
                self.query(
                    "INSERT INTO joint_item_lists (county, code, name, domain, lead_department, published, revision, approved_by, approved_at) \
                     VALUES ($C, $1, $2, $3, $4, $5, 1, '', NULL) \
                     ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, domain = excluded.domain, \
                     lead_department = excluded.lead_department, published = excluded.published, \
                     revision = joint_item_lists.revision + 1, approved_by = '', approved_at = NULL")
                    .bind(&l.code).bind(l.name.trim()).bind(l.domain.code()).bind(&l.lead_department).bind(l.published)
                    .execute(&mut *tx).await?;
                self.query("DELETE FROM joint_item_list_items WHERE county = $C AND list_code = $1").bind(&l.code).execute(&mut *tx).await?;
                for (pos, item) in l.items.iter().enumerate() {
                    self.query("INSERT INTO joint_item_list_items (county, list_code, item_code, position) VALUES ($C, $1, $2, $3)")
                        .bind(&l.code).bind(item).bind(pos as i64)
                        .execute(&mut *tx).await?;
                }
                if was.is_none() {
                    new += 1;
                }
                let action = if was.is_some() { "joint-list.update" } else { "joint-list.add" };
                crate::append_audit!(self, &mut *tx, actor, now, crate::accounts::Audit::new(action, "joint-list", &l.code)
                    .before(was.map(value)).after(value(l)))?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(new)
    }

    /// The county's joint item lists; `published_only`: those the public sees,
    /// published and approved by the 编办.
    pub async fn joint_item_lists(&self, published_only: bool) -> Result<Vec<JointItemList>> {
        let sql = format!(
            "SELECT code, name, domain, lead_department, published FROM joint_item_lists WHERE county = $C{} ORDER BY code",
            if published_only {
                " AND published AND approved_by <> ''"
            } else {
                ""
            }
        );
        let lists: Vec<(String, String, String, String, bool)> =
            with_pool!(self, p => self.query_as(&sql).fetch_all(p).await)?;
        let members: Vec<(String, String)> = with_pool!(self, p => self.query_as(
            "SELECT list_code, item_code FROM joint_item_list_items WHERE county = $C ORDER BY list_code, position").fetch_all(p).await)?;
        lists
            .into_iter()
            .map(|(code, name, domain, lead_department, published)| {
                let items = members
                    .iter()
                    .filter(|(l, _)| *l == code)
                    .map(|(_, i)| i.clone())
                    .collect();
                Ok(JointItemList {
                    domain: Domain::from_code(&domain)
                        .ok_or_else(|| StoreError::corrupt(format!("domain {domain}")))?,
                    code,
                    name,
                    lead_department,
                    items,
                    published,
                })
            })
            .collect()
    }
}

/// Where a joint item list stands with the 编办.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointListApproval {
    pub code: String,
    /// Counts the list's changes: an approval is of the revision the page showed.
    pub revision: i64,
    /// Who approved it; empty while it waits (or after a change).
    pub approved_by: String,
    pub approved_at: Option<DateTime<Utc>>,
    /// The items of the revision last approved, kept after a change: what the
    /// 编办 compares the list with.
    pub approved_items: Vec<String>,
    /// The 编办's 退回 while the list is a draft again (not yet submitted anew):
    /// what its lead department has to change.
    pub returned: Option<ListReturn>,
}

/// A list sent back by the 编办: why, by whom (user name), when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListReturn {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl ListReturn {
    /// When, as pages say it (Beijing time).
    pub fn when(&self) -> String {
        liancha_domain::calendar::format_china_time_seconds(self.at)
    }
}

impl JointListApproval {
    pub fn approved(&self) -> bool {
        !self.approved_by.is_empty()
    }
}

impl County<'_> {
    pub async fn joint_list_approvals(&self) -> Result<Vec<JointListApproval>> {
        type Row = (String, i64, String, Option<DateTime<Utc>>, String, bool);
        let rows: Vec<Row> = with_pool!(self, p => self.query_as(
            "SELECT code, revision, approved_by, approved_at, approved_items, published FROM joint_item_lists \
             WHERE county = $C ORDER BY code")
            .fetch_all(p).await)?;
        let mut approvals = Vec::with_capacity(rows.len());
        for (code, revision, approved_by, approved_at, items, published) in rows {
            let returned = if published {
                None
            } else {
                self.list_returned(&code).await?
            };
            approvals.push(JointListApproval {
                code,
                revision,
                approved_by,
                approved_at,
                approved_items: items
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                returned,
            });
        }
        Ok(approvals)
    }

    /// The list's last 退回, unless an approval came after it.
    async fn list_returned(&self, code: &str) -> Result<Option<ListReturn>> {
        let last: Option<(String, String, DateTime<Utc>, Option<String>)> = with_pool!(self, p => self.query_as(
            "SELECT action, username, at, after_value FROM audit_log WHERE county = $C AND object_type = 'joint-list' \
             AND object_id = $1 AND action IN ('joint-list.return', 'joint-list.approve') ORDER BY id DESC LIMIT 1")
            .bind(code).fetch_optional(p).await)?;
        Ok(last
            .filter(|(action, ..)| action == "joint-list.return")
            .map(|(_, by, at, after)| ListReturn {
                reason: after
                    .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
                    .and_then(|v| v["reason"].as_str().map(str::to_string))
                    .unwrap_or_default(),
                by,
                at,
            }))
    }

    /// The 编办 approves revision `revision` of a list submitted for publication
    /// (审定): from now on the public sees it. Checked in the transaction that
    /// writes it: the list is as the page showed it, submitted and not yet approved.
    pub async fn approve_joint_item_list(
        &self,
        code: &str,
        revision: i64,
        actor: &crate::accounts::Actor,
        approver: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<(i64, bool, String)> = self.query_as(
                "SELECT revision, published, approved_by FROM joint_item_lists WHERE county = $C AND code = $1")
                .bind(code).fetch_optional(&mut *tx).await?;
            let Some((current, published, approved_by)) = row else {
                return Err(StoreError::NotFound(format!("联合抽查事项清单 {code}")));
            };
            if current != revision {
                return Err(StoreError::Conflict(format!(
                    "清单 {code} 在您打开页面后已被修改；请核对修改后的内容再审定")));
            }
            if !published {
                return Err(StoreError::WrongState(format!("清单 {code} 尚未报请公布（草稿），不能审定")));
            }
            if !approved_by.is_empty() {
                return Err(StoreError::WrongState(format!("清单 {code} 已经审定公布")));
            }
            // The conditions again in the write: on PostgreSQL a change committed since
            // the read above must not be approved unseen.
            let items: Vec<String> = self.query_scalar(
                "SELECT item_code FROM joint_item_list_items WHERE county = $C AND list_code = $1 ORDER BY position")
                .bind(code).fetch_all(&mut *tx).await?;
            let done = self.query("UPDATE joint_item_lists SET approved_by = $1, approved_at = $2, approved_items = $5 \
                 WHERE county = $C AND code = $3 AND revision = $4 AND published AND approved_by = ''")
                .bind(approver).bind(now).bind(code).bind(revision).bind(items.join(",")).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!(
                    "清单 {code} 在您打开页面后已被修改或审定；请核对后再操作")));
            }
            crate::append_audit!(self, &mut *tx, actor, now, crate::accounts::Audit::new("joint-list.approve", "joint-list", code)
                .after(serde_json::json!({"revision": revision, "approved_at": now.to_rfc3339()})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}

impl County<'_> {
    /// The 编办 sends revision `revision` of a list submitted for publication back
    /// to its lead department (退回), with the reason: it is a draft again.
    pub async fn return_joint_item_list(
        &self,
        code: &str,
        revision: i64,
        reason: &str,
        actor: &crate::accounts::Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE joint_item_lists SET published = $1, revision = revision + 1 \
                 WHERE county = $C AND code = $2 AND revision = $3 AND published AND approved_by = ''")
                .bind(false).bind(code).bind(revision).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!(
                    "清单 {code} 在您打开页面后已被修改、审定或退回；请核对后再操作")));
            }
            crate::append_audit!(self, &mut *tx, actor, now, crate::accounts::Audit::new("joint-list.return", "joint-list", code)
                .before(serde_json::json!({"published": true}))
                .after(serde_json::json!({"published": false, "reason": reason})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CurrentItem {
    #[sqlx(flatten)]
    pub(crate) row: ItemRow,
    pub(crate) version: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    #[sqlx(flatten)]
    row: ItemRow,
    version: i64,
    recorded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_day_is_beijing_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            end_of_day_china(d).to_rfc3339(),
            "2026-03-01T16:00:00+00:00"
        );
    }
}
