use super::*;

impl County<'_> {
    pub async fn reviews(&self, task_id: i64) -> Result<Vec<ReviewStatus>> {
        let task = self.task_or_404(task_id).await?;
        let rows: Vec<(String, DateTime<Utc>)> = with_pool!(self, p => self.query_as(
            "SELECT department, approved_at FROM reviews WHERE county = $C AND task_id = $1").bind(task_id).fetch_all(p).await)?;
        Ok(task
            .departments()
            .into_iter()
            .map(|d| ReviewStatus {
                approved_at: rows.iter().find(|r| r.0 == d).map(|r| r.1),
                department: d,
            })
            .collect())
    }

    /// A department approves the results of its items in a task. Every assigned
    /// visit must be submitted; a later return or substitution withdraws the approval.
    pub async fn approve_results(
        &self,
        task_id: i64,
        department: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        crate::retrying(|| self.approve_results_once(task_id, department, actor, now)).await
    }

    async fn approve_results_once(
        &self,
        task_id: i64,
        department: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "审核检查结果")
            .map_err(|e| invalid(e.to_string()))?;
        if !task.departments().iter().any(|d| d == department) {
            return Err(invalid("本部门没有参与该任务"));
        }
        let open = open_visits(&self.visits(task_id).await?);
        if open > 0 {
            return Err(invalid(format!(
                "尚有 {open} 户检查结果未提交，不能审核通过"
            )));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, task.version, "state = state");
            let done = self.query("INSERT INTO reviews (county, task_id, department, approved_by, approved_at) VALUES ($C, $1, $2, $3, $4) \
                                    ON CONFLICT (county, task_id, department) DO NOTHING")
                .bind(task_id).bind(department).bind(actor.user_id).bind(now).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("本部门已审核通过该任务的结果（可能是表单重复提交）"));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.approve", "task", task_id).task(task_id)
                .after(serde_json::json!({"department": department})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Publishes a task's results once every department of its items has approved
    /// them. Problems found become follow-up items of the item's department, and
    /// findings that lead to a credit list become its proposals: both come from the
    /// published results, never from results that could still be returned.
    pub async fn publish_task(
        &self,
        task_id: i64,
        version: i32,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "公示结果")
            .map_err(|e| invalid(e.to_string()))?;
        crate::expect_version(&task, version)?;
        let open = open_visits(&self.visits(task_id).await?);
        if open > 0 {
            return Err(invalid(format!(
                "尚有 {open} 户检查结果未提交或被退回，不能公示"
            )));
        }
        let pending: Vec<String> = self
            .reviews(task_id)
            .await?
            .into_iter()
            .filter(|r| r.approved_at.is_none())
            .map(|r| r.department)
            .collect();
        if !pending.is_empty() {
            let names = self.department_labels(&pending).await?;
            return Err(invalid(format!(
                "以下部门尚未审核通过：{}",
                names.join("、")
            )));
        }
        let rows: Vec<(String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT r.entity_id, r.item_code, r.categories FROM results r JOIN visits v \
             ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
             WHERE r.county = $C AND r.task_id = $1 AND v.state = 'submitted' ORDER BY v.draw_order, r.item_code")
            .bind(task_id).fetch_all(p).await)?;
        let cal = self.calendar().await?;
        let department_of = |code: &str| {
            task.items
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.department.as_str())
        };
        let categories: Vec<Vec<ResultCategory>> = rows
            .iter()
            .map(|(_, _, c)| split_codes(c, ResultCategory::from_code))
            .collect();
        let published: Vec<liancha_domain::follow_up::PublishedResult> = rows
            .iter()
            .zip(&categories)
            .filter_map(|((entity, item, _), categories)| {
                Some(liancha_domain::follow_up::PublishedResult {
                    entity,
                    item,
                    department: department_of(item)?,
                    categories,
                })
            })
            .collect();
        let (follow_ups, proposals) = liancha_domain::follow_up::drafts(&published);
        // A proposal is decided by the department of its items, or by the lead
        // department when its items are several departments'.
        let proposer = |c: &liancha_domain::follow_up::CreditDraft| -> String {
            let mut departments = c.items.iter().filter_map(|i| department_of(i));
            match (
                departments.next(),
                departments.all(|d| Some(d) == department_of(&c.items[0])),
            ) {
                (Some(d), true) => d.to_string(),
                _ => task.lead_department.clone(),
            }
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, version, "state = 'published', published_at = $3", now);
            self.query("UPDATE visits SET state = 'published' WHERE county = $C AND task_id = $1 AND state = 'submitted'")
                .bind(task_id).execute(&mut *tx).await?;
            for f in &follow_ups {
                // 责令整改: the default term is ten working days.
                let due = (f.kind == FollowUpKind::Rectify).then(|| cal.add_working_days(china_date(now), 10));
                self.query("INSERT INTO follow_ups (county, task_id, entity_id, department, item_code, items, category, kind, due_on, state, created_at) \
                             VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)")
                    .bind(task_id).bind(&f.entity).bind(&f.department).bind(&f.items[0]).bind(f.items.join(","))
                    .bind(f.category.code()).bind(f.kind.code()).bind(due).bind(now).execute(&mut *tx).await?;
            }
            for c in &proposals {
                self.query("INSERT INTO credit_proposals (county, entity_id, list, department, task_id, item_code, items, category, state, created_at) \
                             VALUES ($C, $1, $2, $3, $4, $5, $6, $7, 'proposed', $8)")
                    .bind(&c.entity).bind(c.list.code()).bind(proposer(c)).bind(task_id).bind(&c.items[0])
                    .bind(c.items.join(",")).bind(c.category.code()).bind(now).execute(&mut *tx).await?;
            }
            let (follow_ups, proposals) = (follow_ups.len(), proposals.len());
            crate::project_published_task!(self, &mut tx, task_id);
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.publish", "task", task_id).task(task_id)
                .before(serde_json::json!({"state": "drawn"}))
                .after(serde_json::json!({"state": "published", "follow_ups": follow_ups, "credit_proposals": proposals})))?;
            crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::Published {
                task: task_id, plan_digest: task.plan_digest.clone().unwrap_or_default(),
            });
            tx.commit().await?;
        });
        Ok(())
    }

    async fn department_labels(&self, codes: &[String]) -> Result<Vec<String>> {
        let all = self.departments().await?;
        Ok(codes
            .iter()
            .map(|c| {
                all.iter()
                    .find(|d| &d.code == c)
                    .map_or(c.clone(), |d| d.name.clone())
            })
            .collect())
    }

    /// The publication deadline of a task: N working days after its inspection ends.
    pub async fn deadline_of(&self, task: &crate::tasks::Task) -> Result<NaiveDate> {
        self.deadline_on(&self.calendar().await?, task).await
    }

    /// [`Store::deadline_of`] on a calendar already loaded (lists of tasks load it once).
    pub async fn deadline_on(
        &self,
        cal: &WorkCalendar,
        task: &crate::tasks::Task,
    ) -> Result<NaiveDate> {
        let rules = self.task_rule_book(task).await?.book;
        Ok(publication_deadline(
            cal,
            task.inspection_end,
            rules.publication_deadline_days,
        ))
    }

    /// The working-day calendar: the built-in one, with any days an admin stored.
    pub async fn calendar(&self) -> Result<WorkCalendar> {
        let rows: Vec<(NaiveDate, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT day, kind, name FROM calendar_days WHERE county = $C ORDER BY day").fetch_all(p).await)?;
        let mut cal = WorkCalendar::built_in();
        if !rows.is_empty() {
            let text: String = rows
                .iter()
                .map(|(d, k, n)| format!("{d} {k} {n}\n"))
                .collect();
            let stored =
                WorkCalendar::parse(&text).map_err(|e| StoreError::corrupt(e.to_string()))?;
            cal.merge(&stored);
        }
        Ok(cal)
    }
}
