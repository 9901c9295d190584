//! Townships, departments, the entity and inspector directories, rule books.

use chrono::{NaiveDate, Utc};
use liancha_domain::rows::Lookup;
use liancha_domain::{
    Department, Domain, Entity, EntityStatus, EntityType, Industry, Inspector, InspectorStatus,
    RiskClass, Township, Uscc,
};

use crate::BeginWrite;
use crate::{County, Result, StoreError, with_pool};

#[derive(sqlx::FromRow)]
pub(crate) struct EntityRow {
    id: String,
    reg_no: String,
    name: String,
    entity_type: String,
    industry: Option<String>,
    township: String,
    address: String,
    legal_rep: String,
    registered_on: Option<NaiveDate>,
    status: String,
    risk_class: String,
    abnormal: bool,
    blacklisted: bool,
    tags: String,
}

pub(crate) const ENTITY_SELECT: &str = "SELECT id, reg_no, name, entity_type, industry, township, address, legal_rep, \
     registered_on, status, risk_class, abnormal, blacklisted, tags FROM entities WHERE county = $C";

pub(crate) fn split_tags(s: &str) -> Vec<String> {
    s.split('、')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

impl TryFrom<EntityRow> for Entity {
    type Error = StoreError;
    fn try_from(r: EntityRow) -> Result<Self> {
        let industry = match r.industry.as_deref() {
            None | Some("") => None,
            Some(s) => Some(
                Industry::parse(s).map_err(|e| StoreError::corrupt(format!("{}: {e}", r.id)))?,
            ),
        };
        Ok(Entity {
            uscc: if r.id.starts_with('X') {
                None
            } else {
                Uscc::parse(&r.id).ok()
            },
            entity_type: EntityType::from_code(&r.entity_type)
                .ok_or_else(|| StoreError::corrupt(format!("entity_type {}", r.entity_type)))?,
            status: EntityStatus::from_code(&r.status)
                .ok_or_else(|| StoreError::corrupt(format!("status {}", r.status)))?,
            risk_class: RiskClass::from_code(&r.risk_class)
                .ok_or_else(|| StoreError::corrupt(format!("risk_class {}", r.risk_class)))?,
            tags: split_tags(&r.tags),
            id: r.id,
            reg_no: r.reg_no,
            name: r.name,
            industry,
            township: r.township,
            address: r.address,
            legal_rep: r.legal_rep,
            registered_on: r.registered_on,
            abnormal: r.abnormal,
            blacklisted: r.blacklisted,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InspectorRow {
    id: String,
    name: String,
    department: String,
    certificate_no: String,
    certificate_valid_until: NaiveDate,
    specialties: String,
    township: Option<String>,
    status: String,
    phone: Option<String>,
}

pub(crate) const INSPECTOR_SELECT: &str = "SELECT id, name, department, certificate_no, certificate_valid_until, \
     specialties, township, status, phone FROM inspectors WHERE county = $C";

impl TryFrom<InspectorRow> for Inspector {
    type Error = StoreError;
    fn try_from(r: InspectorRow) -> Result<Self> {
        Ok(Inspector {
            status: InspectorStatus::from_code(&r.status)
                .ok_or_else(|| StoreError::corrupt(format!("inspector status {}", r.status)))?,
            specialties: split_tags(&r.specialties),
            id: r.id,
            name: r.name,
            department: r.department,
            certificate_no: r.certificate_no,
            certificate_valid_until: r.certificate_valid_until,
            township: r.township,
            phone: r.phone,
        })
    }
}

/// Filters of the entity directory page and of task scopes.
#[derive(Debug, Clone, Default)]
pub struct EntityFilter {
    pub township: Option<String>,
    pub entity_type: Option<EntityType>,
    pub risk_class: Option<RiskClass>,
    pub status: Option<EntityStatus>,
    /// Substring of the name, or a USCC prefix.
    pub query: Option<String>,
    /// Part of the name of a licence or tag the entity carries.
    pub tag: Option<String>,
    pub sort: EntitySort,
}

/// The order a directory page lists entities in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EntitySort {
    /// By USCC (the registry's order).
    #[default]
    Id,
    Name,
    /// Most recently changed first (by an import or on the entity's page).
    Updated,
}

impl EntitySort {
    pub const ALL: &'static [EntitySort] = &[EntitySort::Id, EntitySort::Name, EntitySort::Updated];

    pub fn code(self) -> &'static str {
        match self {
            EntitySort::Id => "id",
            EntitySort::Name => "name",
            EntitySort::Updated => "updated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EntitySort::Id => "按统一社会信用代码",
            EntitySort::Name => "按名称",
            EntitySort::Updated => "最近修改在前",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.code() == s)
    }

    pub(crate) fn order_by(self) -> &'static str {
        match self {
            EntitySort::Id => " ORDER BY id",
            EntitySort::Name => " ORDER BY name, id",
            EntitySort::Updated => " ORDER BY updated_at DESC, id",
        }
    }
}

impl EntityFilter {
    /// The conditions after the county's (` AND …`) and their parameters, numbered from `$1`.
    pub(crate) fn sql(&self) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        let mut push = |clause: &str, value: String| {
            params.push(value);
            clauses.push(clause.replace('?', &format!("${}", params.len())));
        };
        if let Some(t) = &self.township {
            push("township = ?", t.clone());
        }
        if let Some(t) = self.entity_type {
            push("entity_type = ?", t.code().into());
        }
        if let Some(r) = self.risk_class {
            push("risk_class = ?", r.code().into());
        }
        if let Some(s) = self.status {
            push("status = ?", s.code().into());
        }
        if let Some(q) = self
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            let escaped = crate::audit::like_escaped(q);
            if Uscc::parse(q).is_ok()
                || (q.len() >= 6 && q.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                push(
                    "id LIKE ? ESCAPE '\\'",
                    format!("{}%", escaped.to_ascii_uppercase()),
                );
            } else {
                push("name LIKE ? ESCAPE '\\'", format!("%{escaped}%"));
            }
        }
        if let Some(t) = self.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // Part of a licence's or tag's name (食品 finds 食品经营许可证), letters in any case.
            push(
                "LOWER(tags) LIKE ? ESCAPE '\\'",
                format!("%{}%", crate::audit::like_escaped(t).to_lowercase()),
            );
        }
        let sql: String = clauses.iter().map(|c| format!(" AND {c}")).collect();
        (sql, params)
    }
}

/// One page of a list and the size of the whole.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// Directory sizes for overview pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub townships: i64,
    pub departments: i64,
    pub entities: i64,
    pub legal_person_entities: i64,
    pub inspectors: i64,
    pub items: i64,
    pub joint_item_lists: i64,
    pub rule_books: i64,
}

impl County<'_> {
    pub async fn put_township(&self, t: &Township, position: i64) -> Result<()> {
        with_pool!(self, p => self.query(
            "INSERT INTO townships (county, code, name, position) VALUES ($C, $1, $2, $3) \
             ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, position = excluded.position")
            .bind(&t.code).bind(&t.name).bind(position).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn townships(&self) -> Result<Vec<Township>> {
        let rows: Vec<(String, String)> = with_pool!(self, p =>
            self.query_as("SELECT code, name FROM townships WHERE county = $C ORDER BY position, code").fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(code, name)| Township { code, name })
            .collect())
    }

    pub async fn put_department(&self, d: &Department) -> Result<()> {
        with_pool!(self, p => self.query(
            "INSERT INTO departments (county, code, name, domain) VALUES ($C, $1, $2, $3) \
             ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, domain = excluded.domain")
            .bind(&d.code).bind(&d.name).bind(d.domain.code()).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn departments(&self) -> Result<Vec<Department>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, p =>
            self.query_as("SELECT code, name, domain FROM departments WHERE county = $C ORDER BY code").fetch_all(p).await)?;
        rows.into_iter()
            .map(|(code, name, domain)| {
                let domain = Domain::from_code(&domain)
                    .ok_or_else(|| StoreError::corrupt(format!("domain {domain}")))?;
                Ok(Department { code, name, domain })
            })
            .collect()
    }

    /// Townships and departments that imported rows are checked against.
    pub async fn lookup(&self) -> Result<Lookup> {
        let mut lookup = Lookup::default();
        for t in self.townships().await? {
            lookup.townships.insert(t.name);
        }
        let mut caps = std::collections::BTreeMap::new();
        for d in self.departments().await? {
            let cap = match caps.get(&d.domain) {
                Some(cap) => *cap,
                None => {
                    let cap = self.rule_book(d.domain).await?.annual_cap;
                    caps.insert(d.domain, cap);
                    cap
                }
            };
            lookup.caps.insert(d.code.clone(), cap);
            lookup.departments.insert(d.name, d.code.clone());
            lookup.departments.insert(d.code.clone(), d.code);
        }
        for i in self.items(false).await? {
            lookup.items.insert(i.code, i.department);
        }
        Ok(lookup)
    }

    pub async fn entity(&self, id: &str) -> Result<Option<Entity>> {
        let sql = format!("{ENTITY_SELECT} AND id = $1");
        let row: Option<EntityRow> = with_pool!(self, p => self.query_as(&sql).bind(id.trim().to_ascii_uppercase()).fetch_optional(p).await)?;
        row.map(Entity::try_from).transpose()
    }

    /// A page of the entity directory in the filter's order.
    pub async fn entities(
        &self,
        filter: &EntityFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Entity>> {
        let (where_sql, params) = filter.sql();
        let n = params.len();
        let list_sql = format!(
            "{ENTITY_SELECT}{where_sql}{} LIMIT ${} OFFSET ${}",
            filter.sort.order_by(),
            n + 1,
            n + 2
        );
        let count_sql = format!("SELECT COUNT(*) FROM entities WHERE county = $C{where_sql}");
        let (rows, total): (Vec<EntityRow>, i64) = with_pool!(self, p => {
            let mut q = self.query_as(&list_sql);
            let mut c = self.query_scalar(&count_sql);
            for v in &params {
                q = q.bind(v);
                c = c.bind(v);
            }
            (q.bind(limit).bind(offset).fetch_all(p).await?, c.fetch_one(p).await?)
        });
        Ok(Page {
            rows: rows
                .into_iter()
                .map(Entity::try_from)
                .collect::<Result<_>>()?,
            total,
        })
    }

    pub async fn inspector(&self, id: &str) -> Result<Option<Inspector>> {
        let sql = format!("{INSPECTOR_SELECT} AND id = $1");
        let row: Option<InspectorRow> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(Inspector::try_from).transpose()
    }

    /// The inspector directory, optionally of one department, in id order.
    pub async fn inspectors(&self, department: Option<&str>) -> Result<Vec<Inspector>> {
        let rows: Vec<InspectorRow> = match department {
            Some(d) => {
                let sql = format!("{INSPECTOR_SELECT} AND department = $1 ORDER BY id");
                with_pool!(self, p => self.query_as(&sql).bind(d).fetch_all(p).await)?
            }
            None => {
                let sql = format!("{INSPECTOR_SELECT} ORDER BY id");
                with_pool!(self, p => self.query_as(&sql).fetch_all(p).await)?
            }
        };
        rows.into_iter().map(Inspector::try_from).collect()
    }

    pub async fn counts(&self) -> Result<Counts> {
        let (
            townships,
            departments,
            entities,
            legal_person_entities,
            inspectors,
            items,
            joint_item_lists,
            rule_books,
        ): (i64, i64, i64, i64, i64, i64, i64, i64) = with_pool!(self, p => self.query_as(
            "SELECT (SELECT COUNT(*) FROM townships WHERE county = $C), (SELECT COUNT(*) FROM departments WHERE county = $C), \
             (SELECT COUNT(*) FROM entities WHERE county = $C), \
             (SELECT COUNT(*) FROM entities WHERE county = $C AND entity_type <> 'individual'), \
             (SELECT COUNT(*) FROM inspectors WHERE county = $C), (SELECT COUNT(*) FROM items WHERE county = $C), \
             (SELECT COUNT(*) FROM joint_item_lists WHERE county = $C), \
             (SELECT COUNT(DISTINCT domain) FROM rule_books WHERE county = $C)")
            .fetch_one(p).await)?;
        Ok(Counts {
            townships,
            departments,
            entities,
            legal_person_entities,
            inspectors,
            items,
            joint_item_lists,
            rule_books,
        })
    }

    /// Entities per township and risk class, for overview tables.
    pub async fn entity_breakdown(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT township, risk_class, COUNT(*) FROM entities WHERE county = $C \
             GROUP BY township, risk_class ORDER BY township, risk_class")
            .fetch_all(p).await)?)
    }
}

/// Values of an entity in the order the `entities` table's writable columns are listed
/// in [`ENTITY_COLUMNS_SQL`], for the bulk writers.
pub(crate) const ENTITY_COLUMNS_SQL: &str = "id, reg_no, name, entity_type, industry, township, address, legal_rep, \
     registered_on, status, risk_class, abnormal, blacklisted, tags, updated_at";

pub(crate) fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

impl County<'_> {
    /// Writes (inserting or updating) inspectors in one transaction; returns how many were new.
    pub async fn put_inspectors(&self, inspectors: &[Inspector]) -> Result<u64> {
        let at = now();
        let mut inserted = 0;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for i in inspectors {
                let existed: i64 = self.query_scalar("SELECT COUNT(*) FROM inspectors WHERE county = $C AND id = $1")
                    .bind(&i.id).fetch_one(&mut *tx).await?;
                if existed == 0 {
                    inserted += 1;
                }
                self.query(
                    "INSERT INTO inspectors (county, id, name, department, certificate_no, certificate_valid_until, specialties, \
                     township, status, phone, updated_at) VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (county, id) DO UPDATE SET name = excluded.name, department = excluded.department, \
                     certificate_no = excluded.certificate_no, certificate_valid_until = excluded.certificate_valid_until, \
                     specialties = excluded.specialties, township = excluded.township, status = excluded.status, \
                     phone = excluded.phone, updated_at = excluded.updated_at")
                    .bind(&i.id).bind(&i.name).bind(&i.department).bind(&i.certificate_no)
                    .bind(i.certificate_valid_until).bind(i.specialties.join("、")).bind(&i.township)
                    .bind(i.status.code()).bind(&i.phone).bind(at)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(inserted)
    }
}

impl crate::Store {
    /// The county whose directory holds the entity now: where it is on record in any
    /// status but 迁出, else the county it last moved out of. The directories are public.
    pub async fn entity_home(&self, id: &str) -> Result<Option<liancha_domain::org::DivisionCode>> {
        let county: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT county FROM entities WHERE id = $1 \
             ORDER BY CASE WHEN status = 'moved-out' THEN 1 ELSE 0 END, updated_at DESC LIMIT 1")
            .bind(id.trim().to_ascii_uppercase()).fetch_optional(p).await)?;
        county
            .map(|c| liancha_domain::org::DivisionCode::parse(&c).map_err(StoreError::corrupt))
            .transpose()
    }
}

/// A department's code: what imports, tasks and accounts name it by.
fn check_department_code(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "部门代码：须为 1 至 32 个小写字母、数字或 -（如 amr、agri）",
        ))
    }
}

impl County<'_> {
    /// Adds a township of the county (its GB/T 10114 code begins with the county's),
    /// at the end of the list, with its audit entry.
    pub async fn add_township(
        &self,
        t: &Township,
        actor: &crate::accounts::Actor,
        now: chrono::DateTime<Utc>,
    ) -> Result<()> {
        let code = t.code.trim();
        if !self.code().holds_township(code) {
            return Err(StoreError::invalid(format!(
                "乡镇代码：须为以本县代码 {} 开头的 9 位数字（GB/T 10114）",
                self.code()
            )));
        }
        let name = crate::posted("乡镇名称", t.name.trim(), liancha_domain::text::NAME)?;
        if name.is_empty() {
            return Err(StoreError::invalid("乡镇名称：请填写"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let taken: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM townships WHERE county = $C AND (code = $1 OR name = $2)")
                .bind(code).bind(name).fetch_one(&mut *tx).await?;
            if taken > 0 {
                return Err(StoreError::invalid(format!("乡镇代码 {code} 或名称「{name}」已存在")));
            }
            self.query("INSERT INTO townships (county, code, name, position) \
                        VALUES ($C, $1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM townships WHERE county = $C))")
                .bind(code).bind(name).execute(&mut *tx).await?;
            crate::append_audit!(self, &mut *tx, actor, now, crate::accounts::Audit::new("township.add", "township", code)
                .after(serde_json::json!({"name": name})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    /// Adds a department of the county, or renames one or changes its domain (its
    /// code stays: tasks, items and accounts name it by code), with its audit entry.
    pub async fn save_department(
        &self,
        d: &Department,
        actor: &crate::accounts::Actor,
        now: chrono::DateTime<Utc>,
    ) -> Result<()> {
        let code = d.code.trim();
        check_department_code(code)?;
        let name = crate::posted("部门名称", d.name.trim(), liancha_domain::text::NAME)?;
        if name.is_empty() {
            return Err(StoreError::invalid("部门名称：请填写"));
        }
        let before = self
            .departments()
            .await?
            .into_iter()
            .find(|x| x.code == code);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let taken: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM departments WHERE county = $C AND name = $1 AND code <> $2")
                .bind(name).bind(code).fetch_one(&mut *tx).await?;
            if taken > 0 {
                return Err(StoreError::invalid(format!("部门名称「{name}」已被其他部门使用")));
            }
            self.query("INSERT INTO departments (county, code, name, domain) VALUES ($C, $1, $2, $3) \
                        ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, domain = excluded.domain")
                .bind(code).bind(name).bind(d.domain.code()).execute(&mut *tx).await?;
            let action = if before.is_some() { "department.update" } else { "department.add" };
            crate::append_audit!(self, &mut *tx, actor, now, crate::accounts::Audit::new(action, "department", code)
                .before(before.as_ref().map(|b| serde_json::json!({"name": b.name, "domain": b.domain.code()})))
                .after(serde_json::json!({"name": name, "domain": d.domain.code()})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}

impl County<'_> {
    /// Refuses a townships file that would do what an import does not: a code
    /// outside the county, or another name for a township's code (renaming is not
    /// an import's).
    pub(crate) fn check_township_file(
        &self,
        existing: &[Township],
        all: &[Township],
    ) -> Result<()> {
        if let Some(bad) = all.iter().find(|t| !self.code().holds_township(&t.code)) {
            return Err(StoreError::invalid(format!(
                "导入失败，未导入任何记录：乡镇代码 {} 不以本县代码 {} 开头",
                bad.code,
                self.code()
            )));
        }
        for t in all {
            if let Some(e) = existing
                .iter()
                .find(|e| e.code == t.code && e.name != t.name)
            {
                return Err(StoreError::invalid(format!(
                    "导入失败，未导入任何记录：乡镇代码 {} 已是「{}」，文件中为「{}」",
                    t.code, e.name, t.name
                )));
            }
        }
        Ok(())
    }

    /// Adds the townships of a file, all or none; a township already there keeps its
    /// place (a different name for its code is refused: renaming is not an import's).
    /// Returns how many were new.
    pub async fn import_townships(&self, all: &[Township]) -> Result<u64> {
        let existing = self.townships().await?;
        self.check_township_file(&existing, all)?;
        let new: Vec<&Township> = all
            .iter()
            .filter(|t| !existing.iter().any(|e| e.code == t.code))
            .collect();
        let actor = crate::accounts::Actor::system("import");
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for t in &new {
                self.query("INSERT INTO townships (county, code, name, position) \
                            VALUES ($C, $1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM townships WHERE county = $C))")
                    .bind(&t.code).bind(&t.name).execute(&mut *tx).await?;
            }
            crate::append_audit!(self, &mut *tx, &actor, now(), crate::accounts::Audit::new("township.import", "township", self.code())
                .after(serde_json::json!({"rows": all.len(), "added": new.len()})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(new.len() as u64)
    }

    /// Adds or updates the departments of a file, all or none. Returns how many were new.
    pub async fn import_departments(&self, all: &[Department]) -> Result<u64> {
        let existing = self.departments().await?;
        let new = all
            .iter()
            .filter(|d| !existing.iter().any(|e| e.code == d.code))
            .count();
        let actor = crate::accounts::Actor::system("import");
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for d in all {
                self.query("INSERT INTO departments (county, code, name, domain) VALUES ($C, $1, $2, $3) \
                            ON CONFLICT (county, code) DO UPDATE SET name = excluded.name, domain = excluded.domain")
                    .bind(&d.code).bind(&d.name).bind(d.domain.code()).execute(&mut *tx).await?;
            }
            crate::append_audit!(self, &mut *tx, &actor, now(), crate::accounts::Audit::new("department.import", "department", self.code())
                .after(serde_json::json!({"rows": all.len(), "added": new})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
        .map_err(|e| match e {
            StoreError::Db(sqlx::Error::Database(d)) if d.message().contains("UNIQUE") || d.code().as_deref() == Some("23505") => {
                StoreError::invalid("导入失败，未导入任何记录：两个部门的名称相同")
            }
            e => e,
        })?;
        Ok(new as u64)
    }
}
