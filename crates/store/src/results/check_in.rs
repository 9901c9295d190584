use super::*;
use liancha_domain::check_in::{
    CheckInMode, Complaint, Location, MAX_COMPLAINTS_PER_VISIT, MAX_RATINGS_PER_VISIT, Rating,
};

/// One check-in of a visit, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub id: i64,
    pub mode: CheckInMode,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    /// Who checked in (or entered the paper record), as the account is named.
    pub by: String,
    /// The inspectors present, names joined by 、.
    pub inspectors: String,
    pub location: Option<Location>,
    /// For a paper entry: why there was no check-in on the spot.
    pub note: String,
}

type CheckInRow = (
    i64,
    String,
    DateTime<Utc>,
    Option<i64>,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
);

fn check_in_of(r: CheckInRow) -> Result<CheckIn> {
    let (id, mode, at, user_id, by, inspectors, lat, lon, accuracy_m, note) = r;
    Ok(CheckIn {
        mode: CheckInMode::from_code(&mode)
            .ok_or_else(|| StoreError::corrupt(format!("check-in {id}: mode")))?,
        id,
        at,
        user_id,
        by,
        inspectors,
        location: lat.zip(lon).map(|(latitude_e6, longitude_e6)| Location {
            latitude_e6,
            longitude_e6,
            accuracy_m,
        }),
        note,
    })
}

/// Who checked in is named as the account is (its display name), not by its login.
const CHECK_IN_SELECT: &str = "SELECT c.id, c.mode, c.at, c.user_id, COALESCE(u.display_name, c.username), c.inspectors, \
     c.latitude_e6, c.longitude_e6, c.accuracy_m, c.note \
     FROM visit_check_ins c LEFT JOIN users u ON u.id = c.user_id WHERE c.county = $C";

/// An entity's rating of a visit, as the oversight office reads them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VisitRating {
    pub task_id: i64,
    pub task_title: String,
    pub entity_id: String,
    pub entity_name: Option<String>,
    pub stars: i32,
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// A complaint about a visit, as the oversight office reads and answers it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VisitComplaint {
    pub id: i64,
    pub task_id: i64,
    pub task_title: String,
    pub entity_id: String,
    pub entity_name: Option<String>,
    pub text: String,
    /// `None`: anonymous.
    pub contact: Option<String>,
    pub at: DateTime<Utc>,
    pub state: String,
    pub reply: String,
    pub handled_by: String,
    pub handled_at: Option<DateTime<Utc>>,
}

impl VisitComplaint {
    pub fn handled(&self) -> bool {
        self.state == "handled"
    }
}

/// A visit without a check-in on the spot, as the oversight page flags it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UncheckedVisit {
    pub task_id: i64,
    pub task_title: String,
    pub entity_id: String,
    pub entity_name: Option<String>,
    pub state: String,
    pub inspection_end: NaiveDate,
    /// The department's reason for a paper entry; `None`: nothing at all yet.
    pub paper_reason: Option<String>,
}

impl UncheckedVisit {
    pub fn state_label(&self) -> &'static str {
        VisitState::from_code(&self.state).map_or("", VisitState::label)
    }
}

/// Visits that are not checked in on the spot: `v` a visit of a drawn or published
/// task, assigned and not replaced. Shared by the list and its count.
const UNCHECKED: &str = "FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
     LEFT JOIN entities e ON e.county = v.county AND e.id = v.entity_id \
     WHERE v.county = $C AND t.year = $1 AND t.state IN ('drawn', 'published') \
     AND v.state IN ('pending', 'submitted', 'returned', 'published') \
     AND NOT EXISTS (SELECT 1 FROM visit_check_ins c WHERE c.county = v.county AND c.task_id = v.task_id \
                     AND c.entity_id = v.entity_id AND c.mode IN ('code', 'legacy')) \
     AND (v.state <> 'pending' OR t.inspection_end < $2 \
          OR EXISTS (SELECT 1 FROM visit_check_ins c WHERE c.county = v.county AND c.task_id = v.task_id AND c.entity_id = v.entity_id))";

/// One inspection of an entity in a year, as the entity reads them through its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityInspection {
    /// The joint task, for a visit of one; `None` for a targeted inspection.
    pub task_id: Option<i64>,
    /// The task's title, or the targeted inspection's source.
    pub what: String,
    /// Departments whose items were or are to be checked.
    pub departments: Vec<String>,
    /// The day of the visit, once known.
    pub on: Option<NaiveDate>,
    /// For a visit still to come: the task's inspection period.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

impl County<'_> {
    /// The visit's check-ins, first first.
    pub async fn check_ins(&self, task_id: i64, entity_id: &str) -> Result<Vec<CheckIn>> {
        let sql = format!(
            "{CHECK_IN_SELECT} AND c.task_id = $1 AND c.entity_id = $2 ORDER BY c.at, c.id"
        );
        let rows: Vec<CheckInRow> = with_pool!(self, p => self.query_as(&sql)
            .bind(task_id).bind(entity_id).fetch_all(p).await)?;
        rows.into_iter().map(check_in_of).collect()
    }

    /// How each visit of a task is checked in: on the spot if ever, else on paper.
    /// Visits never checked in are absent.
    pub async fn check_in_modes(&self, task_id: i64) -> Result<BTreeMap<String, CheckInMode>> {
        let rows: Vec<(String, String)> = with_pool!(self, p => self.query_as(
            "SELECT entity_id, MIN(mode) FROM visit_check_ins WHERE county = $C AND task_id = $1 GROUP BY entity_id")
            .bind(task_id).fetch_all(p).await)?;
        // 'code' < 'paper': the minimum is the check-in on the spot when there is one.
        Ok(rows
            .into_iter()
            .filter_map(|(e, m)| CheckInMode::from_code(&m).map(|m| (e, m)))
            .collect())
    }

    /// Checks a visit in on the spot with the code the entity holds. `inspectors`:
    /// the names of those present. Only a visit still to be inspected (pending or
    /// returned) of a drawn task; all of it is checked in the statement that writes.
    /// A second check-in by the same account within ten minutes (a repeated post)
    /// is the same check-in.
    #[allow(clippy::too_many_arguments)]
    pub async fn check_in(
        &self,
        task_id: i64,
        entity_id: &str,
        code: &str,
        inspectors: &str,
        location: Option<Location>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let code = code.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(StoreError::invalid_field(
                "code",
                "请扫描或输入企业出示的核验码（检查通知书上的核验码）",
            ));
        }
        let recent = now - chrono::Duration::minutes(10);
        let (lat, lon, acc) = match location {
            Some(l) => (Some(l.latitude_e6), Some(l.longitude_e6), l.accuracy_m),
            None => (None, None, None),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The task's state and the visit's are read with the visit's row held:
            // a submission or a second tap of 签到 waits for this one.
            lock_visit!(self, &mut *tx, task_id, entity_id);
            let task_state: Option<String> = self.query_scalar("SELECT state FROM tasks WHERE county = $C AND id = $1")
                .bind(task_id).fetch_optional(&mut *tx).await?;
            let Some(task_state) = task_state else {
                return Err(StoreError::NotFound(format!("任务 {task_id}")));
            };
            if TaskState::from_code(&task_state) != Some(TaskState::Drawn) {
                return Err(StoreError::WrongState(format!(
                    "任务处于「{}」状态，不能签到",
                    TaskState::from_code(&task_state).map_or("", TaskState::label))));
            }
            let visit: Option<(String, String)> = self.query_as(
                "SELECT state, check_code FROM visits WHERE county = $C AND task_id = $1 AND entity_id = $2")
                .bind(task_id).bind(entity_id).fetch_optional(&mut *tx).await?;
            let Some((state, check_code)) = visit else {
                return Err(invalid(format!("{entity_id} 不是本任务的检查对象")));
            };
            if !matches!(VisitState::from_code(&state), Some(VisitState::Pending | VisitState::Returned)) {
                return Err(StoreError::WrongState(format!(
                    "该检查对象处于「{}」状态，不需要签到",
                    VisitState::from_code(&state).map_or("", VisitState::label))));
            }
            if check_code != code {
                return Err(StoreError::invalid_field("code",
                    "核验码与该检查对象的不一致：请扫描本企业出示的检查通知书上的二维码，或核对后重新输入"));
            }
            let repeated: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM visit_check_ins WHERE county = $C AND task_id = $1 AND entity_id = $2 \
                 AND mode = 'code' AND username = $3 AND at > $4")
                .bind(task_id).bind(entity_id).bind(&actor.username).bind(recent).fetch_one(&mut *tx).await?;
            if repeated > 0 {
                return Ok(());
            }
            let done = self.query(
                "INSERT INTO visit_check_ins (county, task_id, entity_id, mode, at, user_id, username, inspectors, latitude_e6, longitude_e6, accuracy_m) \
                 SELECT $C, $1, $2, 'code', $3, $4, $5, $6, $7, $8, $9 FROM visits \
                 WHERE county = $C AND task_id = $1 AND entity_id = $2 AND state IN ('pending', 'returned')")
                .bind(task_id).bind(entity_id).bind(now).bind(actor.user_id).bind(&actor.username)
                .bind(inspectors).bind(lat).bind(lon).bind(acc).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::WrongState("该检查对象的结果已提交，不需要签到".into()));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("visit.check-in", "visit", format!("{task_id}/{entity_id}")).task(task_id)
                .after(serde_json::json!({
                    "present": inspectors,
                    "location": location.map(|l| l.label()),
                })))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The visit of `code` (the code on its notice) as the entity reaches it: task
    /// and entity, if the task is drawn or published.
    pub(super) async fn visit_of_code(&self, code: &str) -> Result<(i64, String)> {
        let v = self
            .visit_by_code(code)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("核验码 {code}")))?;
        let task = self.task_or_404(v.task_id).await?;
        if !matches!(task.state, TaskState::Drawn | TaskState::Published) {
            return Err(StoreError::NotFound(format!("核验码 {code}")));
        }
        Ok((v.task_id, v.entity_id))
    }

    /// The entity rates the visit of `code`, once it has been checked in. Every
    /// rating is kept (none replaces another: whoever else holds the code cannot
    /// undo the entity's word), at most [`MAX_RATINGS_PER_VISIT`] per visit.
    pub async fn rate_visit(&self, code: &str, rating: &Rating, now: DateTime<Utc>) -> Result<()> {
        let (task_id, entity_id) = self.visit_of_code(code).await?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            lock_visit!(self, &mut *tx, task_id, &entity_id);
            let checked: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM visit_check_ins WHERE county = $C AND task_id = $1 AND entity_id = $2")
                .bind(task_id).bind(&entity_id).fetch_one(&mut *tx).await?;
            if checked == 0 {
                return Err(StoreError::WrongState("检查组签到后才能评价本次检查".into()));
            }
            let rated: i64 = self.query_scalar(
                "SELECT COUNT(*) FROM visit_ratings WHERE county = $C AND task_id = $1 AND entity_id = $2")
                .bind(task_id).bind(&entity_id).fetch_one(&mut *tx).await?;
            if rated >= MAX_RATINGS_PER_VISIT {
                return Err(StoreError::Conflict(format!(
                    "本次检查已收到 {MAX_RATINGS_PER_VISIT} 条评价，不能再提交")));
            }
            self.query("INSERT INTO visit_ratings (county, task_id, entity_id, stars, comment, at) VALUES ($C, $1, $2, $3, $4, $5)")
                .bind(task_id).bind(&entity_id).bind(i32::from(rating.stars)).bind(&rating.comment).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many ratings the visit has had (the public page says only that).
    pub async fn visit_ratings_count(&self, task_id: i64, entity_id: &str) -> Result<i64> {
        Ok(with_pool!(self, p => self.query_scalar(
            "SELECT COUNT(*) FROM visit_ratings WHERE county = $C AND task_id = $1 AND entity_id = $2")
            .bind(task_id).bind(entity_id).fetch_one(p).await)?)
    }

    /// The ratings of `year`'s visits, newest first, at most `limit`; with how many
    /// there are and their stars in all (for the average).
    pub async fn ratings(&self, year: i32, limit: i64) -> Result<(i64, i64, Vec<VisitRating>)> {
        let (n, stars, rows) = with_pool!(self, p => {
            let (n, stars): (i64, Option<i64>) = self.query_as(
                "SELECT COUNT(*), CAST(SUM(r.stars) AS BIGINT) FROM visit_ratings r JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
                 WHERE r.county = $C AND t.year = $1")
                .bind(year).fetch_one(p).await?;
            let rows: Vec<VisitRating> = self.query_as(
                "SELECT r.task_id, t.title AS task_title, r.entity_id, e.name AS entity_name, r.stars, r.comment, r.at \
                 FROM visit_ratings r JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
                 LEFT JOIN entities e ON e.county = r.county AND e.id = r.entity_id \
                 WHERE r.county = $C AND t.year = $1 ORDER BY r.at DESC, r.id DESC LIMIT $2")
                .bind(year).bind(limit).fetch_all(p).await?;
            Ok::<_, sqlx::Error>((n, stars.unwrap_or(0), rows))
        })?;
        Ok((n, stars, rows))
    }

    /// The entity complains about the visit of `code` to the oversight office. At
    /// most [`MAX_COMPLAINTS_PER_VISIT`] per visit, counted as the row is written.
    pub async fn complain(&self, code: &str, c: &Complaint, now: DateTime<Utc>) -> Result<i64> {
        let (task_id, entity_id) = self.visit_of_code(code).await?;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            lock_visit!(self, &mut *tx, task_id, &entity_id);
            let id: Option<i64> = self.query_scalar(
                "INSERT INTO visit_complaints (county, task_id, entity_id, text, contact, at) \
                 SELECT $C, $1, $2, $3, $4, $5 \
                 WHERE (SELECT COUNT(*) FROM visit_complaints WHERE county = $C AND task_id = $1 AND entity_id = $2) < $6 \
                 RETURNING id")
                .bind(task_id).bind(&entity_id).bind(&c.text).bind(c.contact.as_deref()).bind(now)
                .bind(MAX_COMPLAINTS_PER_VISIT).fetch_optional(&mut *tx).await?;
            let Some(id) = id else {
                return Err(StoreError::Conflict(format!(
                    "本次检查已有 {MAX_COMPLAINTS_PER_VISIT} 件投诉，不能再提交；请直接联系县委编办或县政府督查室")));
            };
            // Who complained is not the audit's to know: anonymity holds there too.
            // Filed under the complaint, not the task: the task's history is read by
            // the departments inspecting, who are not told of complaints about them.
            append_audit!(self, &mut *tx, &Actor::system("企业（扫码）"), now,
                Audit::new("visit.complaint", "complaint", id.to_string())
                    .after(serde_json::json!({"anonymous": c.contact.is_none()})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Complaints of `year`'s tasks, the open ones first, newest first.
    pub async fn complaints(&self, year: i32) -> Result<Vec<VisitComplaint>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT c.id, c.task_id, t.title AS task_title, c.entity_id, e.name AS entity_name, c.text, c.contact, c.at, \
                    c.state, c.reply, COALESCE(u.display_name, c.handled_by) AS handled_by, c.handled_at \
             FROM visit_complaints c JOIN tasks t ON t.county = c.county AND t.id = c.task_id \
             LEFT JOIN entities e ON e.county = c.county AND e.id = c.entity_id \
             LEFT JOIN users u ON u.username = c.handled_by \
             WHERE c.county = $C AND t.year = $1 ORDER BY c.state = 'handled', c.at DESC, c.id DESC")
            .bind(year).fetch_all(p).await)?)
    }

    /// The oversight office answers a complaint and closes it; an answered one stays
    /// answered.
    pub async fn handle_complaint(
        &self,
        id: i64,
        reply: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let reply = crate::posted("处理情况", reply.trim(), liancha_domain::text::FREE_TEXT)?;
        if reply.is_empty() {
            return Err(StoreError::invalid_field("reply", "请填写处理情况"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query(
                "UPDATE visit_complaints SET state = 'handled', reply = $1, handled_by = $2, handled_at = $3 \
                 WHERE county = $C AND id = $4 AND state = 'open'")
                .bind(reply).bind(&actor.username).bind(now).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                let exists: i64 = self.query_scalar("SELECT COUNT(*) FROM visit_complaints WHERE county = $C AND id = $1")
                    .bind(id).fetch_one(&mut *tx).await?;
                return Err(if exists == 0 {
                    StoreError::NotFound(format!("投诉 {id}"))
                } else {
                    StoreError::WrongState("该投诉已经处理".into())
                });
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("visit.complaint-handle", "complaint", id.to_string())
                .after(serde_json::json!({"reply": reply})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every inspection of `entity_id` in `year`, across departments, as the entity
    /// may read them through the code of `this_task`'s visit: visits made (checked
    /// in or results entered) and this one, and targeted inspections, in date order.
    /// Visits of other tasks still to come are left out (an inspection is not
    /// announced before it happens), and so is what led to a targeted one.
    pub async fn entity_inspections(
        &self,
        entity_id: &str,
        year: i32,
        this_task: i64,
    ) -> Result<Vec<EntityInspection>> {
        let visits: Vec<(i64, Option<NaiveDate>)> = with_pool!(self, p => self.query_as(
            "SELECT v.task_id, v.inspected_on FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
             WHERE v.county = $C AND v.entity_id = $1 AND t.year = $2 AND t.state IN ('drawn', 'published') \
             AND v.state IN ('pending', 'submitted', 'returned', 'published') \
             AND (v.task_id = $3 OR v.inspected_on IS NOT NULL OR EXISTS (SELECT 1 FROM visit_check_ins c \
                  WHERE c.county = v.county AND c.task_id = v.task_id AND c.entity_id = v.entity_id)) \
             ORDER BY v.task_id")
            .bind(entity_id).bind(year).bind(this_task).fetch_all(p).await)?;
        let targeted: Vec<(String, NaiveDate)> = with_pool!(self, p => self.query_as(
            "SELECT department, inspected_on FROM targeted_inspections \
             WHERE county = $C AND entity_id = $1 AND year = $2 ORDER BY inspected_on, id")
            .bind(entity_id).bind(year).fetch_all(p).await)?;
        let mut out = Vec::with_capacity(visits.len() + targeted.len());
        for (task_id, on) in visits {
            let t = self.task_or_404(task_id).await?;
            out.push(EntityInspection {
                task_id: Some(task_id),
                departments: t.departments(),
                what: t.title,
                on,
                period: on
                    .is_none()
                    .then_some((t.inspection_start, t.inspection_end)),
            });
        }
        for (department, on) in targeted {
            out.push(EntityInspection {
                task_id: None,
                what: "定向检查".into(),
                departments: vec![department],
                on: Some(on),
                period: None,
            });
        }
        out.sort_by_key(|i| (i.on.is_none(), i.on, i.period.map(|p| p.0)));
        Ok(out)
    }

    /// Visits of `year` not checked in on the spot, as of `today`: entered on paper,
    /// or still without a check-in after their task's inspection period — at most
    /// `limit` of them, with how many there are in all.
    pub async fn unchecked_visits(
        &self,
        year: i32,
        today: NaiveDate,
        limit: i64,
    ) -> Result<(i64, Vec<UncheckedVisit>)> {
        let count_sql = format!("SELECT COUNT(*) {UNCHECKED}");
        let list_sql = format!(
            "SELECT v.task_id, t.title AS task_title, v.entity_id, e.name AS entity_name, v.state, t.inspection_end, \
                    (SELECT MIN(c.note) FROM visit_check_ins c WHERE c.county = v.county AND c.task_id = v.task_id \
                     AND c.entity_id = v.entity_id AND c.mode = 'paper') AS paper_reason \
             {UNCHECKED} ORDER BY t.inspection_end, v.task_id, v.draw_order LIMIT $3"
        );
        let (n, rows) = with_pool!(self, p => {
            let n: i64 = self.query_scalar(&count_sql).bind(year).bind(today).fetch_one(p).await?;
            let rows: Vec<UncheckedVisit> = self.query_as(&list_sql).bind(year).bind(today).bind(limit).fetch_all(p).await?;
            Ok::<_, sqlx::Error>((n, rows))
        })?;
        Ok((n, rows))
    }
}
