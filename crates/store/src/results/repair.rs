use super::*;
use liancha_domain::credit_repair::{
    MAX_OBJECTIONS_PER_VISIT, Objection, ObjectionState, RepairApplication, RepairGround,
    RepairSource, RepairState, grounds_of, may_apply,
};

type Instant = DateTime<Utc>;

/// A listing as the public lists and the entity's page show it: which list, since
/// when, and when (and why) it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub proposal_id: i64,
    pub entity_id: String,
    pub entity_name: String,
    pub township: String,
    pub list: CreditList,
    pub department: String,
    pub category: String,
    pub listed_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removal_reason: Option<String>,
}

type ListingRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
);

const LISTING_SELECT: &str = "SELECT c.id, c.entity_id, e.name, e.township, c.list, c.department, c.category, \
     c.decided_at, r.removed_at, r.reason \
     FROM credit_proposals c LEFT JOIN entities e ON e.county = c.county AND e.id = c.entity_id \
     LEFT JOIN credit_removals r ON r.county = c.county AND r.proposal_id = c.id \
     WHERE c.county = $C AND c.state = 'confirmed'";

fn listing_of(r: ListingRow) -> Result<Listing> {
    let (id, entity_id, name, township, list, department, category, listed_at, removed_at, reason) =
        r;
    Ok(Listing {
        list: CreditList::from_code(&list)
            .ok_or_else(|| StoreError::corrupt(format!("credit proposal {id}: list")))?,
        proposal_id: id,
        entity_name: name.unwrap_or_else(|| entity_id.clone()),
        township: township.unwrap_or_default(),
        entity_id,
        department,
        category,
        listed_at,
        removed_at,
        removal_reason: reason,
    })
}

impl Listing {
    pub fn standing(&self) -> bool {
        self.removed_at.is_none()
    }

    /// What put the entity on the list, in words.
    pub fn category_label(&self) -> &'static str {
        match self.category.as_str() {
            PROVINCE => PROVINCE_LABEL,
            c => ResultCategory::from_code(c).map_or("", ResultCategory::label),
        }
    }
}

/// An application for credit repair and its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRepair {
    pub id: i64,
    pub proposal_id: i64,
    pub entity_id: String,
    pub entity_name: String,
    pub list: CreditList,
    /// The department that listed the entity, which decides.
    pub department: String,
    pub source: RepairSource,
    pub grounds: Vec<RepairGround>,
    pub statement: String,
    pub contact: String,
    pub applied_at: DateTime<Utc>,
    pub listed_at: Option<DateTime<Utc>>,
    pub state: RepairState,
    pub reason: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
}

type RepairRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<String>,
);

const REPAIR_SELECT: &str = "SELECT a.id, a.proposal_id, a.entity_id, e.name, a.list, c.department, a.source, a.grounds, \
     a.statement, a.contact, a.applied_at, c.decided_at, a.state, a.reason, a.decided_at, u.display_name \
     FROM credit_repairs a JOIN credit_proposals c ON c.county = a.county AND c.id = a.proposal_id \
     LEFT JOIN entities e ON e.county = a.county AND e.id = a.entity_id \
     LEFT JOIN users u ON u.id = a.decided_by WHERE a.county = $C";

fn repair_of(r: RepairRow) -> Result<CreditRepair> {
    let (
        id,
        proposal_id,
        entity_id,
        name,
        list,
        department,
        source,
        grounds,
        statement,
        contact,
        applied_at,
        listed_at,
        state,
        reason,
        decided_at,
        decided_by,
    ) = r;
    let corrupt = |what: &str| StoreError::corrupt(format!("credit repair {id}: {what}"));
    Ok(CreditRepair {
        list: CreditList::from_code(&list).ok_or_else(|| corrupt("list"))?,
        source: RepairSource::from_code(&source).ok_or_else(|| corrupt("source"))?,
        state: RepairState::from_code(&state).ok_or_else(|| corrupt("state"))?,
        grounds: grounds_of(&grounds),
        entity_name: name.unwrap_or_else(|| entity_id.clone()),
        id,
        proposal_id,
        entity_id,
        department,
        statement,
        contact,
        applied_at,
        listed_at,
        reason,
        decided_at,
        decided_by,
    })
}

/// An entity's objection to a published result, and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultObjection {
    pub id: i64,
    pub task_id: i64,
    pub task_title: String,
    pub entity_id: String,
    pub entity_name: String,
    pub text: String,
    pub contact: String,
    pub at: DateTime<Utc>,
    pub state: ObjectionState,
    pub reply: String,
    pub handled_at: Option<DateTime<Utc>>,
    /// The department objected to, which answers.
    pub department: String,
    /// The departments whose items the visit's results hold.
    pub departments: Vec<String>,
}

type ObjectionRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    DateTime<Utc>,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<String>,
);

const OBJECTION_SELECT: &str = "SELECT o.id, o.task_id, t.title, o.entity_id, e.name, o.text, o.contact, o.at, o.state, o.reply, o.handled_at, o.department \
     FROM result_objections o JOIN tasks t ON t.county = o.county AND t.id = o.task_id \
     LEFT JOIN entities e ON e.county = o.county AND e.id = o.entity_id WHERE o.county = $C";

/// Which objections to read.
#[derive(Clone, Copy)]
enum ObjectionFilter<'a> {
    All,
    Department(&'a str),
    Id(i64),
    Visit(i64, &'a str),
}

/// A correction of a published result, as the public result shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Correction {
    pub task_id: i64,
    pub entity_id: String,
    pub item_code: String,
    pub before_categories: String,
    pub after_categories: String,
    pub reason: String,
    pub corrected_at: DateTime<Utc>,
}

impl Correction {
    /// 「2026-12-07 更正（原结果：…）：理由」, as exports say it.
    pub fn note(&self) -> String {
        format!(
            "{} 更正（原结果：{}）：{}",
            liancha_domain::calendar::china_date(self.corrected_at),
            self.before_label(),
            self.reason
        )
    }

    /// 「原结果：发现问题已责令改正」: what the result said before.
    pub fn before_label(&self) -> String {
        split_codes(&self.before_categories, ResultCategory::from_code)
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

const CORRECTION_SELECT: &str = "SELECT task_id, entity_id, item_code, before_categories, after_categories, reason, corrected_at \
     FROM result_corrections";

/// Attaches to each published result the newest correction of its item.
pub(crate) fn attach_corrections(results: &mut [PublishedResult], corrections: Vec<Correction>) {
    let mut newest: BTreeMap<(i64, String, String), Correction> = BTreeMap::new();
    for c in corrections {
        let key = (c.task_id, c.entity_id.clone(), c.item_code.clone());
        if newest
            .get(&key)
            .is_none_or(|n| n.corrected_at <= c.corrected_at)
        {
            newest.insert(key, c);
        }
    }
    for r in results {
        r.correction = newest
            .get(&(r.task_id, r.entity_id.clone(), r.item_code.clone()))
            .cloned();
    }
}

impl County<'_> {
    /// The entity's listings in this county, standing ones first, newest first.
    pub async fn listings_of_entity(&self, entity_id: &str) -> Result<Vec<Listing>> {
        let sql = format!(
            "{LISTING_SELECT} AND c.entity_id = $1 ORDER BY r.removed_at IS NOT NULL, c.decided_at DESC, c.id DESC"
        );
        let rows: Vec<ListingRow> =
            with_pool!(self, p => self.query_as(&sql).bind(entity_id).fetch_all(p).await)?;
        rows.into_iter().map(listing_of).collect()
    }

    /// Listings of `list`, as the public list shows them: standing ones (the entity
    /// still flagged), or those ended (`removed`), newest first.
    pub async fn listings(&self, list: CreditList, removed: bool) -> Result<Vec<Listing>> {
        let sql = format!(
            "{LISTING_SELECT} AND c.list = $1 AND r.removed_at IS {} NULL ORDER BY {} DESC, c.id DESC",
            if removed { "NOT" } else { "" },
            if removed {
                "r.removed_at"
            } else {
                "c.decided_at"
            },
        );
        let rows: Vec<ListingRow> =
            with_pool!(self, p => self.query_as(&sql).bind(list.code()).fetch_all(p).await)?;
        rows.into_iter().map(listing_of).collect()
    }

    /// Applications for credit repair, those awaiting a decision first; of one
    /// department's listings, or all.
    pub async fn credit_repairs(&self, department: Option<&str>) -> Result<Vec<CreditRepair>> {
        let mut sql = REPAIR_SELECT.to_string();
        if department.is_some() {
            sql.push_str(" AND c.department = $1");
        }
        sql.push_str(" ORDER BY a.state <> 'applied', a.applied_at DESC, a.id DESC");
        let rows: Vec<RepairRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(repair_of).collect()
    }

    /// The applications about one entity, newest first.
    pub async fn credit_repairs_of_entity(&self, entity_id: &str) -> Result<Vec<CreditRepair>> {
        let sql =
            format!("{REPAIR_SELECT} AND a.entity_id = $1 ORDER BY a.applied_at DESC, a.id DESC");
        let rows: Vec<RepairRow> =
            with_pool!(self, p => self.query_as(&sql).bind(entity_id).fetch_all(p).await)?;
        rows.into_iter().map(repair_of).collect()
    }

    pub async fn credit_repair(&self, id: i64) -> Result<Option<CreditRepair>> {
        let sql = format!("{REPAIR_SELECT} AND a.id = $1");
        let row: Option<RepairRow> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(repair_of).transpose()
    }

    /// Applies to leave the list that confirmed proposal `proposal_id` put
    /// `entity_id` on. Checked with the entity's row held: the listing still stands,
    /// the blacklist's year has passed, no other application of it is awaiting a
    /// decision (a double submit is one application).
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_credit_repair(
        &self,
        entity_id: &str,
        proposal_id: i64,
        application: &RepairApplication,
        source: RepairSource,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let today = china_date(now);
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            self.query("UPDATE entities SET updated_at = updated_at WHERE county = $C AND id = $1")
                .bind(entity_id).execute(&mut *tx).await?;
            let listing: Option<(String, Option<Instant>, Option<Instant>)> = self.query_as(
                "SELECT c.list, c.decided_at, r.removed_at FROM credit_proposals c \
                 LEFT JOIN credit_removals r ON r.county = c.county AND r.proposal_id = c.id \
                 WHERE c.county = $C AND c.id = $1 AND c.entity_id = $2 AND c.state = 'confirmed'")
                .bind(proposal_id).bind(entity_id).fetch_optional(&mut *tx).await?;
            let Some((list, listed_at, removed_at)) = listing else {
                return Err(StoreError::invalid_field("grounds", "未找到本单位的这一名单记录，请从本页列出的记录申请"));
            };
            if removed_at.is_some() {
                return Err(StoreError::WrongState("该主体已移出此名单，无需申请".into()));
            }
            if list != application.list.code() {
                return Err(StoreError::invalid_field("grounds", "申请的名单与列入记录不符"));
            }
            let listed_on = listed_at.map(china_date).unwrap_or(today);
            may_apply(application.list, listed_on, today)
                .map_err(|e| StoreError::invalid_field(e.field, e.message))?;
            let open: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM credit_repairs WHERE county = $C AND proposal_id = $1 AND state = 'applied'")
                .bind(proposal_id).fetch_one(&mut *tx).await?;
            if open > 0 {
                return Err(StoreError::Conflict("该名单记录已有待决定的信用修复申请，请等待部门决定（可能是表单重复提交）".into()));
            }
            let id: i64 = self.query_scalar(
                "INSERT INTO credit_repairs (county, proposal_id, entity_id, list, source, grounds, statement, contact, applied_at, applied_by) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind(proposal_id).bind(entity_id).bind(application.list.code()).bind(source.code())
                .bind(application.grounds_code()).bind(&application.statement).bind(&application.contact)
                .bind(now).bind(actor.user_id).fetch_one(&mut *tx).await?;
            // The contact is the applicant's, for the department: not in the audit.
            append_audit!(self, &mut *tx, actor, now, Audit::new("credit.repair-apply", "entity", entity_id)
                .after(serde_json::json!({"repair": id, "proposal": proposal_id, "list": application.list.code(),
                    "grounds": application.grounds_code(), "applicant": source.code()})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The entity applies through the code of one of its visits (the code is its
    /// notice's: whoever holds it speaks for the entity, as for its complaints).
    pub async fn apply_credit_repair_by_code(
        &self,
        code: &str,
        proposal_id: i64,
        application: &RepairApplication,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let (_, entity_id) = self.visit_of_code(code).await?;
        self.apply_credit_repair(
            &entity_id,
            proposal_id,
            application,
            RepairSource::Entity,
            &Actor::system("企业（扫码）"),
            now,
        )
        .await
    }

    /// The department decides an application: granted, the entity leaves the list
    /// in the same transaction (its flag cleared unless another listing on it
    /// stands, so its risk class returns); refused, the reason is kept for it to
    /// read. Returns whether the flag was cleared.
    pub async fn decide_credit_repair(
        &self,
        id: i64,
        grant: bool,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let repair = self
            .credit_repair(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用修复申请 {id}")))?;
        let prop = self
            .credit_proposal(repair.proposal_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用名单建议 {}", repair.proposal_id)))?;
        let column = match prop.list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        let cleared = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            self.query("UPDATE entities SET updated_at = updated_at WHERE county = $C AND id = $1")
                .bind(&repair.entity_id).execute(&mut *tx).await?;
            let done = self.query(
                "UPDATE credit_repairs SET state = $1, reason = $2, decided_at = $3, decided_by = $4 \
                 WHERE county = $C AND id = $5 AND state = 'applied'")
                .bind(if grant { "granted" } else { "refused" }).bind(reason).bind(now).bind(actor.user_id).bind(id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict("该申请已经决定（可能是表单重复提交）".into()));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new(
                    if grant { "credit.repair-grant" } else { "credit.repair-refuse" }, "entity", &repair.entity_id)
                .after(serde_json::json!({"repair": id, "proposal": repair.proposal_id, "list": prop.list.code(), "reason": reason})))?;
            let cleared = if grant {
                let removal = format!("信用修复：{reason}");
                let proposal_id = repair.proposal_id;
                super::credit::remove_listing!(self, tx, proposal_id, prop, column, removal.as_str(), actor, now)
            } else {
                false
            };
            tx.commit().await?;
            cleared
        });
        Ok(cleared)
    }

    /// The entity objects to the published result of the visit of `code`. At most
    /// [`MAX_OBJECTIONS_PER_VISIT`] per visit, counted with the visit's row held.
    pub async fn object_to_result(
        &self,
        code: &str,
        o: &Objection,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let (task_id, entity_id) = self.visit_of_code(code).await?;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            lock_visit!(self, &mut *tx, task_id, &entity_id);
            let state: Option<(String, String)> = self.query_as(
                "SELECT t.state, v.state FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
                 WHERE v.county = $C AND v.task_id = $1 AND v.entity_id = $2")
                .bind(task_id).bind(&entity_id).fetch_optional(&mut *tx).await?;
            if !matches!(state.as_ref().map(|(t, v)| (t.as_str(), v.as_str())), Some(("published", "published"))) {
                return Err(StoreError::WrongState("检查结果公示后才能对结果提出异议".into()));
            }
            let inspected: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM results r JOIN items i ON i.county = r.county AND i.code = r.item_code \
                 WHERE r.county = $C AND r.task_id = $1 AND r.entity_id = $2 AND i.department = $3")
                .bind(task_id).bind(&entity_id).bind(&o.department).fetch_one(&mut *tx).await?;
            if inspected == 0 {
                return Err(StoreError::invalid_field("department", "请选择对哪个部门的检查结果有异议（须是本次检查的部门）"));
            }
            let again: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM result_objections WHERE county = $C AND task_id = $1 AND entity_id = $2 \
                 AND department = $3 AND text = $4 AND state = 'open'")
                .bind(task_id).bind(&entity_id).bind(&o.department).bind(&o.text).fetch_one(&mut *tx).await?;
            if again > 0 {
                return Err(StoreError::Conflict("同样的异议已经提交，正在等待部门答复（可能是表单重复提交）".into()));
            }
            let id: Option<i64> = self.query_scalar(
                "INSERT INTO result_objections (county, task_id, entity_id, text, contact, at, department) \
                 SELECT $C, $1, $2, $3, $4, $5, $7 \
                 WHERE (SELECT COUNT(*) FROM result_objections WHERE county = $C AND task_id = $1 AND entity_id = $2) < $6 \
                 RETURNING id")
                .bind(task_id).bind(&entity_id).bind(&o.text).bind(&o.contact).bind(now)
                .bind(MAX_OBJECTIONS_PER_VISIT).bind(&o.department).fetch_optional(&mut *tx).await?;
            let Some(id) = id else {
                return Err(StoreError::Conflict(format!(
                    "本次检查结果已有 {MAX_OBJECTIONS_PER_VISIT} 件异议，不能再提交；请直接联系检查部门")));
            };
            append_audit!(self, &mut *tx, &Actor::system("企业（扫码）"), now,
                Audit::new("result.objection", "task", task_id.to_string())
                    .task(task_id)
                    .after(serde_json::json!({"objection": id, "entity": entity_id, "department": o.department})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Objections to the results of visits holding items of `department` (all of
    /// them for `None`), open ones first, newest first.
    pub async fn objections(&self, department: Option<&str>) -> Result<Vec<ResultObjection>> {
        self.load_objections(match department {
            Some(d) => ObjectionFilter::Department(d),
            None => ObjectionFilter::All,
        })
        .await
    }

    pub async fn objection(&self, id: i64) -> Result<Option<ResultObjection>> {
        Ok(self.load_objections(ObjectionFilter::Id(id)).await?.pop())
    }

    /// The objections to the result of one visit, newest first (the entity reads
    /// their answers through its code).
    pub async fn objections_of_visit(
        &self,
        task_id: i64,
        entity_id: &str,
    ) -> Result<Vec<ResultObjection>> {
        self.load_objections(ObjectionFilter::Visit(task_id, entity_id))
            .await
    }

    async fn load_objections(&self, filter: ObjectionFilter<'_>) -> Result<Vec<ResultObjection>> {
        // The departments of a visit's items, for the rows the filter finds.
        const DEPARTMENTS: &str = "SELECT DISTINCT r.task_id, r.entity_id, i.department FROM result_objections o \
             JOIN results r ON r.county = o.county AND r.task_id = o.task_id AND r.entity_id = o.entity_id \
             JOIN items i ON i.county = r.county AND i.code = r.item_code WHERE o.county = $C";
        const OF_DEPARTMENT: &str = " AND o.department = $1";
        let extra = match filter {
            ObjectionFilter::All => "",
            ObjectionFilter::Department(_) => OF_DEPARTMENT,
            ObjectionFilter::Id(_) => " AND o.id = $1",
            ObjectionFilter::Visit(..) => " AND o.task_id = $1 AND o.entity_id = $2",
        };
        let rows_sql =
            format!("{OBJECTION_SELECT}{extra} ORDER BY o.state <> 'open', o.at DESC, o.id DESC");
        let departments_sql = format!("{DEPARTMENTS}{extra} ORDER BY 1, 2, 3");
        let (rows, departments) = with_pool!(self, p => {
            let mut q = self.query_as(&rows_sql);
            let mut d = self.query_as(&departments_sql);
            match filter {
                ObjectionFilter::All => {}
                ObjectionFilter::Department(dep) => { q = q.bind(dep); d = d.bind(dep); }
                ObjectionFilter::Id(id) => { q = q.bind(id); d = d.bind(id); }
                ObjectionFilter::Visit(t, e) => { q = q.bind(t).bind(e); d = d.bind(t).bind(e); }
            }
            let rows: Vec<ObjectionRow> = q.fetch_all(p).await?;
            let departments: Vec<(i64, String, String)> = d.fetch_all(p).await?;
            Ok::<_, sqlx::Error>((rows, departments))
        })?;
        rows.into_iter()
            .map(
                |(
                    id,
                    task_id,
                    task_title,
                    entity_id,
                    name,
                    text,
                    contact,
                    at,
                    state,
                    reply,
                    handled_at,
                    department,
                )| {
                    Ok(ResultObjection {
                        department: department.unwrap_or_default(),
                        state: ObjectionState::from_code(&state)
                            .ok_or_else(|| StoreError::corrupt(format!("objection {id}: state")))?,
                        departments: departments
                            .iter()
                            .filter(|(t, e, _)| *t == task_id && *e == entity_id)
                            .map(|(_, _, d)| d.clone())
                            .collect(),
                        entity_name: name.unwrap_or_else(|| entity_id.clone()),
                        id,
                        task_id,
                        task_title,
                        entity_id,
                        text,
                        contact,
                        at,
                        reply,
                        handled_at,
                    })
                },
            )
            .collect()
    }

    /// The department answers an objection: keeps the result (`correction` none),
    /// or corrects its item `(item, categories, findings)`. A correction writes the
    /// result, keeps what it said before with the reason, updates the public
    /// projection, is audited on the task and logged; the public result shows it.
    pub async fn answer_objection(
        &self,
        id: i64,
        department: &str,
        reply: &str,
        correction: Option<(&str, &[ResultCategory], &str)>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let o = self
            .objection(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("异议 {id}")))?;
        if o.department != department {
            return Err(StoreError::invalid(
                "该异议针对其他部门的检查结果，由该部门答复",
            ));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            lock_visit!(self, &mut *tx, o.task_id, &o.entity_id);
            let state = if correction.is_some() { "corrected" } else { "upheld" };
            let done = self.query(
                "UPDATE result_objections SET state = $1, reply = $2, handled_by = $4, handled_at = $5 \
                 WHERE county = $C AND id = $6 AND state = 'open' AND department = $3")
                .bind(state).bind(reply).bind(department).bind(actor.user_id).bind(now).bind(id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict("该异议已经处理（可能是表单重复提交）".into()));
            }
            if let Some((item, categories, findings)) = correction {
                let before: Option<(String, String, String)> = self.query_as(
                    "SELECT r.categories, r.findings, i.department FROM results r JOIN items i ON i.county = r.county AND i.code = r.item_code \
                     WHERE r.county = $C AND r.task_id = $1 AND r.entity_id = $2 AND r.item_code = $3")
                    .bind(o.task_id).bind(&o.entity_id).bind(item).fetch_optional(&mut *tx).await?;
                let Some((before_categories, before_findings, item_department)) = before else {
                    return Err(StoreError::invalid_field("item", "本次检查没有这一事项"));
                };
                if item_department != department {
                    return Err(StoreError::invalid_field("item", "只能更正本部门事项的结果"));
                }
                let after = categories.iter().map(|c| c.code()).collect::<Vec<_>>().join(",");
                // Findings left empty keep what was recorded.
                let findings = if findings.is_empty() { before_findings.as_str() } else { findings };
                if after == before_categories && findings == before_findings {
                    return Err(StoreError::invalid_field("categories", "更正后的结果与原结果相同；如维持原结果，请选择“维持原结果”"));
                }
                self.query("UPDATE results SET categories = $1, findings = $2 WHERE county = $C AND task_id = $3 AND entity_id = $4 AND item_code = $5")
                    .bind(&after).bind(findings).bind(o.task_id).bind(&o.entity_id).bind(item).execute(&mut *tx).await?;
                self.query(
                    "INSERT INTO result_corrections (county, task_id, entity_id, item_code, department, objection_id, \
                     before_categories, before_findings, after_categories, after_findings, reason, corrected_at, corrected_by) \
                     VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(o.task_id).bind(&o.entity_id).bind(item).bind(department).bind(id)
                    .bind(&before_categories).bind(&before_findings).bind(&after).bind(findings).bind(reply)
                    .bind(now).bind(actor.user_id).execute(&mut *tx).await?;
                // The searchable projection follows the result (its problems flag
                // and categories, across the visit's items). Before any audit entry:
                // every writer of public_results takes `public_version` (its trigger)
                // before the county's audit head and the log head, as a publication
                // does; the other order could deadlock with one.
                let all: Vec<String> = self.query_scalar(
                    "SELECT categories FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2")
                    .bind(o.task_id).bind(&o.entity_id).fetch_all(&mut *tx).await?;
                let mut cats: std::collections::BTreeSet<&'static str> = Default::default();
                let mut problems = false;
                for c in all.iter().flat_map(|s| split_codes(s, ResultCategory::from_code)) {
                    problems |= c.is_problem();
                    cats.insert(c.code());
                }
                self.query("UPDATE public_results SET problems = $1, categories = $2 WHERE county = $C AND task_id = $3 AND entity_id = $4")
                    .bind(problems).bind(cats.into_iter().collect::<Vec<_>>().join(",")).bind(o.task_id).bind(&o.entity_id)
                    .execute(&mut *tx).await?;
                // What the old result led to follows it: an open follow-up, or a
                // proposal not yet decided, all of whose items now find no problem
                // is closed (the follow-up) or not listed (the proposal), saying
                // why. A listing already confirmed stays: leaving a list is its
                // department's decision (移出名单, 信用修复).
                let now_results: Vec<(String, String)> = self.query_as(
                    "SELECT item_code, categories FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2")
                    .bind(o.task_id).bind(&o.entity_id).fetch_all(&mut *tx).await?;
                let problem = |items: &str| -> bool {
                    items.split(',').filter(|i| !i.is_empty()).any(|i| now_results.iter().any(|(code, cats)| {
                        code == i && split_codes(cats, ResultCategory::from_code).iter().any(|c| c.is_problem())
                    }))
                };
                let moot_note = format!("检查结果经企业异议更正（异议 {id}），无需后续处置：{reply}");
                let follow_ups: Vec<(i64, String)> = self.query_as(
                    "SELECT id, items FROM follow_ups WHERE county = $C AND task_id = $1 AND entity_id = $2 AND state = 'open'")
                    .bind(o.task_id).bind(&o.entity_id).fetch_all(&mut *tx).await?;
                for (f, items) in follow_ups {
                    if items.split(',').any(|i| i == item) && !problem(&items) {
                        self.query("UPDATE follow_ups SET state = 'closed', closed_at = $1, closed_by = $2, note = $3 WHERE county = $C AND id = $4 AND state = 'open'")
                            .bind(now).bind(actor.user_id).bind(&moot_note).bind(f).execute(&mut *tx).await?;
                        append_audit!(self, &mut *tx, actor, now, Audit::new("follow-up.close", "follow-up", f)
                            .after(serde_json::json!({"state": "closed", "note": moot_note, "objection": id})))?;
                    }
                }
                let proposals: Vec<(i64, String)> = self.query_as(
                    "SELECT id, items FROM credit_proposals WHERE county = $C AND task_id = $1 AND entity_id = $2 AND state = 'proposed'")
                    .bind(o.task_id).bind(&o.entity_id).fetch_all(&mut *tx).await?;
                for (c, items) in proposals {
                    if items.split(',').any(|i| i == item) && !problem(&items) {
                        self.query("UPDATE credit_proposals SET state = 'rejected', decided_at = $1, decided_by = $2, note = $3 WHERE county = $C AND id = $4 AND state = 'proposed'")
                            .bind(now).bind(actor.user_id).bind(&moot_note).bind(c).execute(&mut *tx).await?;
                        append_audit!(self, &mut *tx, actor, now, Audit::new("credit.reject", "entity", &o.entity_id)
                            .after(serde_json::json!({"proposal": c, "note": moot_note, "objection": id})))?;
                    }
                }
                append_audit!(self, &mut *tx, actor, now, Audit::new("result.correct", "task", o.task_id.to_string()).task(o.task_id)
                    .before(serde_json::json!({"entity": o.entity_id, "item": item, "categories": before_categories, "findings": before_findings}))
                    .after(serde_json::json!({"entity": o.entity_id, "item": item, "categories": after, "findings": findings,
                        "objection": id, "reason": reply})))?;
                crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::Corrected {
                    task: o.task_id,
                    digest: liancha_draw::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(
                        format!("{}\n{}\n{}\n{}", o.entity_id, item, before_categories, after).as_bytes())),
                });
            } else {
                append_audit!(self, &mut *tx, actor, now, Audit::new("result.objection-uphold", "task", o.task_id.to_string()).task(o.task_id)
                    .after(serde_json::json!({"entity": o.entity_id, "objection": id, "reply": reply})))?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The county's corrections made up to `until`, oldest first.
    pub async fn corrections_until(&self, until: DateTime<Utc>) -> Result<Vec<Correction>> {
        let sql =
            format!("{CORRECTION_SELECT} WHERE county = $C AND corrected_at <= $1 ORDER BY id");
        Ok(with_pool!(self, p => self.query_as(&sql).bind(until).fetch_all(p).await)?)
    }

    /// Corrections of one task's published results.
    pub async fn corrections_of_task(&self, task_id: i64) -> Result<Vec<Correction>> {
        let sql = format!("{CORRECTION_SELECT} WHERE county = $C AND task_id = $1 ORDER BY id");
        Ok(with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?)
    }
}

impl Store {
    /// Corrections of one entity's published results in any county (public).
    pub async fn corrections_of_entity(&self, entity_id: &str) -> Result<Vec<Correction>> {
        let sql = format!("{CORRECTION_SELECT} WHERE entity_id = $1 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(entity_id).fetch_all(p).await)?,
        )
    }
}
