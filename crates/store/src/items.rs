//! The item lists (随机抽查事项清单), kept with every version, and the joint item lists.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use liancha_domain::{Domain, EntityType, InspectionMethod, Item, JointItemList};

use crate::BeginWrite;
use crate::directories::now;
use crate::{County, Result, StoreError, with_pool};

#[derive(sqlx::FromRow, PartialEq, Eq)]
struct ItemRow {
    code: String,
    name: String,
    legal_basis: String,
    department: String,
    content: String,
    methods: String,
    authority: String,
    entity_types: String,
    published: bool,
    specialty: String,
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
        })
    }
}

const ITEM_FIELDS: &str = "code, name, legal_basis, department, content, methods, authority, entity_types, published, specialty";

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

impl County<'_> {
    /// Writes items in one transaction. An item whose fields did not change gets no new
    /// version; any change, publication or withdrawal included, is kept as a version.
    pub async fn put_items(&self, items: &[Item]) -> Result<ItemsWritten> {
        let at = now();
        let mut written = ItemsWritten::default();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for item in items {
                let new = ItemRow::from(item);
                let sql = format!("SELECT {ITEM_FIELDS}, version FROM items WHERE county = $C AND code = $1");
                let current: Option<(ItemRow, i64)> = self.query_as::<_, CurrentItem>(&sql)
                    .bind(&item.code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|c| (c.row, c.version));
                let version = match &current {
                    Some((row, _)) if *row == new => {
                        written.unchanged += 1;
                        continue;
                    }
                    Some((_, v)) => {
                        written.updated += 1;
                        v + 1
                    }
                    None => {
                        written.inserted += 1;
                        1
                    }
                };
                self.query(
                    "INSERT INTO items (county, code, name, legal_basis, department, content, methods, authority, entity_types, \
                     published, version, updated_at, specialty) VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, legal_basis = excluded.legal_basis, \
                     department = excluded.department, content = excluded.content, methods = excluded.methods, \
                     authority = excluded.authority, entity_types = excluded.entity_types, \
                     published = excluded.published, version = excluded.version, updated_at = excluded.updated_at, \
                     specialty = excluded.specialty")
                    .bind(&new.code).bind(&new.name).bind(&new.legal_basis).bind(&new.department)
                    .bind(&new.content).bind(&new.methods).bind(&new.authority).bind(&new.entity_types)
                    .bind(new.published).bind(version).bind(at).bind(&new.specialty)
                    .execute(&mut *tx).await?;
                self.query(
                    "INSERT INTO item_versions (county, code, version, name, legal_basis, department, content, methods, \
                     authority, entity_types, published, recorded_at, specialty) \
                     VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(&new.code).bind(version).bind(&new.name).bind(&new.legal_basis).bind(&new.department)
                    .bind(&new.content).bind(&new.methods).bind(&new.authority).bind(&new.entity_types)
                    .bind(new.published).bind(at).bind(&new.specialty)
                    .execute(&mut *tx).await?;
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
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for l in lists {
                let lead: i64 = self.query_scalar("SELECT COUNT(*) FROM departments WHERE county = $C AND code = $1")
                    .bind(&l.lead_department).fetch_one(&mut *tx).await?;
                if lead == 0 {
                    return Err(invalid(format!("清单 {}：牵头部门「{}」不是本县的部门", l.code, l.lead_department)));
                }
                for item in &l.items {
                    let known: i64 = self.query_scalar("SELECT COUNT(*) FROM items WHERE county = $C AND code = $1")
                        .bind(item).fetch_one(&mut *tx).await?;
                    if known == 0 {
                        return Err(invalid(format!("清单 {}：事项 {item} 不在本县的抽查事项清单中", l.code)));
                    }
                }
                self.query(
                    "INSERT INTO joint_item_lists (county, code, name, domain, lead_department, published) VALUES ($C, $1, $2, $3, $4, $5) \
                     ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, domain = excluded.domain, \
                     lead_department = excluded.lead_department, published = excluded.published")
                    .bind(&l.code).bind(l.name.trim()).bind(l.domain.code()).bind(&l.lead_department).bind(l.published)
                    .execute(&mut *tx).await?;
                self.query("DELETE FROM joint_item_list_items WHERE county = $C AND list_code = $1").bind(&l.code).execute(&mut *tx).await?;
                for (pos, item) in l.items.iter().enumerate() {
                    self.query("INSERT INTO joint_item_list_items (county, list_code, item_code, position) VALUES ($C, $1, $2, $3)")
                        .bind(&l.code).bind(item).bind(pos as i64)
                        .execute(&mut *tx).await?;
                }
                let was = before.iter().find(|b| b.code == l.code);
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

    pub async fn joint_item_lists(&self, published_only: bool) -> Result<Vec<JointItemList>> {
        let sql = format!(
            "SELECT code, name, domain, lead_department, published FROM joint_item_lists WHERE county = $C{} ORDER BY code",
            if published_only { " AND published" } else { "" }
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

#[derive(sqlx::FromRow)]
struct CurrentItem {
    #[sqlx(flatten)]
    row: ItemRow,
    version: i64,
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
