use super::*;

/// A result as stored: its categories and methods as comma-joined codes.
fn item_result(item_code: String, categories: &str, methods: &str, findings: String) -> ItemResult {
    ItemResult {
        item_code,
        categories: split_codes(categories, ResultCategory::from_code),
        methods: split_codes(methods, InspectionMethod::from_code),
        findings,
    }
}

impl County<'_> {
    /// The results of one visit, by item code.
    pub async fn visit_results(
        &self,
        task_id: i64,
        entity_id: &str,
    ) -> Result<BTreeMap<String, ItemResult>> {
        let rows: Vec<(String, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT item_code, categories, methods, findings FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2")
            .bind(task_id).bind(entity_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(item_code, categories, methods, findings)| {
                let r = item_result(item_code, &categories, &methods, findings);
                (r.item_code.clone(), r)
            })
            .collect())
    }

    /// Every visit's results of a task: entity → item code → result.
    pub async fn results_of_task(
        &self,
        task_id: i64,
    ) -> Result<BTreeMap<String, BTreeMap<String, ItemResult>>> {
        let rows: Vec<(String, String, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT entity_id, item_code, categories, methods, findings FROM results WHERE county = $C AND task_id = $1")
            .bind(task_id).fetch_all(p).await)?;
        let mut out: BTreeMap<String, BTreeMap<String, ItemResult>> = BTreeMap::new();
        for (entity, item_code, categories, methods, findings) in rows {
            let r = item_result(item_code, &categories, &methods, findings);
            out.entry(entity)
                .or_default()
                .insert(r.item_code.clone(), r);
        }
        Ok(out)
    }

    /// Records a visit's results for every item of the task, at once (one visit for
    /// all departments). Allowed for an assigned visit not yet submitted, or returned.
    pub async fn record_results(
        &self,
        task_id: i64,
        entity_id: &str,
        inspected_on: NaiveDate,
        results: &[ItemResult],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        crate::retrying(|| {
            self.record_results_once(
                task_id,
                entity_id,
                None,
                None,
                inspected_on,
                results,
                actor,
                now,
            )
        })
        .await
        .map(|_| ())
    }

    /// Records the results of one department's items of a visit, as its staff enter
    /// them from the paper record: the other departments enter theirs, and the visit
    /// is submitted for review when every item of the task has its result. A visit
    /// never checked in takes a paper record only with `paper_reason`, the
    /// department's word on why (kept as the visit's 纸质补录 check-in).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_department_results(
        &self,
        task_id: i64,
        entity_id: &str,
        department: &str,
        paper_reason: Option<&str>,
        inspected_on: NaiveDate,
        results: &[ItemResult],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<VisitState> {
        crate::retrying(|| {
            self.record_results_once(
                task_id,
                entity_id,
                Some(department),
                paper_reason,
                inspected_on,
                results,
                actor,
                now,
            )
        })
        .await
    }

    /// `only`: the department whose items these are; `None` for the team, which
    /// enters every item at once. Returns the visit's state afterwards.
    #[allow(clippy::too_many_arguments)]
    async fn record_results_once(
        &self,
        task_id: i64,
        entity_id: &str,
        only: Option<&str>,
        paper_reason: Option<&str>,
        inspected_on: NaiveDate,
        results: &[ItemResult],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<VisitState> {
        let paper_reason = paper_reason
            .map(liancha_domain::check_in::paper_reason)
            .transpose()
            .map_err(|e| StoreError::invalid_field("paper_reason", e.to_string()))?;
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "录入检查结果")
            .map_err(|e| invalid(e.to_string()))?;
        let visit = self.visit(task_id, entity_id).await?.ok_or_else(|| {
            invalid(format!(
                "{entity_id} 不是本任务分派的检查对象，不能录入结果"
            ))
        })?;
        match visit.state {
            VisitState::Pending | VisitState::Returned => {}
            VisitState::Submitted => {
                return Err(invalid(
                    "该检查对象的结果已提交，待审核；如需修改请由部门管理员退回",
                ));
            }
            s => {
                return Err(invalid(format!(
                    "该检查对象处于「{}」状态，不能录入结果",
                    s.label()
                )));
            }
        }
        if inspected_on < task.inspection_start || inspected_on > china_date(now) {
            return Err(invalid(format!(
                "检查日期须在任务开始日期 {} 与今天之间",
                task.inspection_start
            )));
        }
        let expected: Vec<&crate::tasks::TaskItem> = task
            .items
            .iter()
            .filter(|i| only.is_none_or(|d| i.department == d))
            .collect();
        if expected.is_empty() {
            return Err(invalid("本部门在该任务中没有抽查事项"));
        }
        for item in &expected {
            let Some(r) = results.iter().find(|r| r.item_code == item.code) else {
                return Err(invalid(format!("请填写事项「{}」的检查结果", item.name)));
            };
            check_categories(&r.categories)
                .map_err(|e| invalid(format!("事项「{}」：{e}", item.name)))?;
            if r.methods.is_empty() {
                return Err(invalid(format!("请选择事项「{}」的检查方式", item.name)));
            }
            crate::posted(
                &format!("事项「{}」的检查情况", item.name),
                &r.findings,
                liancha_domain::text::FREE_TEXT,
            )?;
        }
        if let Some(r) = results
            .iter()
            .find(|r| !expected.iter().any(|i| i.code == r.item_code))
        {
            return Err(match only {
                Some(_) if task.items.iter().any(|i| i.code == r.item_code) => invalid(format!(
                    "事项 {} 不属于本部门，须由其所属部门或检查组录入",
                    r.item_code
                )),
                _ => invalid(format!("事项 {} 不属于本任务", r.item_code)),
            });
        }
        let items = task.items.len() as i64;
        let before = self.visit_results(task_id, entity_id).await?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, task.version, "state = state");
            let done = self.query("UPDATE visits SET inspected_on = $1 \
                         WHERE county = $C AND task_id = $2 AND entity_id = $3 AND state IN ('pending', 'returned')")
                .bind(inspected_on).bind(task_id).bind(entity_id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该检查对象的结果已提交（可能是表单重复提交），本次未生效"));
            }
            // 扫码入企: no results for a visit never checked in, unless the department
            // entering its paper record says why. Read with the visit's row held.
            let checked: i64 = self.query_scalar("SELECT COUNT(*) FROM visit_check_ins WHERE county = $C AND task_id = $1 AND entity_id = $2")
                .bind(task_id).bind(entity_id).fetch_one(&mut *tx).await?;
            if checked == 0 {
                let Some(reason) = paper_reason else {
                    return Err(StoreError::WrongState(match only {
                        None => "检查组尚未签到：请到企业现场扫描其出示的二维码（或输入核验码）签到后再录入结果".into(),
                        Some(_) => "该检查对象没有现场签到记录：按纸质记录补录时，请填写未能扫码签到的原因".into(),
                    }));
                };
                self.query("INSERT INTO visit_check_ins (county, task_id, entity_id, mode, at, user_id, username, note) \
                            VALUES ($C, $1, $2, 'paper', $3, $4, $5, $6)")
                    .bind(task_id).bind(entity_id).bind(now).bind(actor.user_id).bind(&actor.username).bind(reason)
                    .execute(&mut *tx).await?;
            }
            for r in results {
                self.query("DELETE FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2 AND item_code = $3")
                    .bind(task_id).bind(entity_id).bind(&r.item_code).execute(&mut *tx).await?;
            }
            for r in results {
                self.query("INSERT INTO results (county, task_id, entity_id, item_code, categories, methods, findings) VALUES ($C, $1, $2, $3, $4, $5, $6)")
                    .bind(task_id).bind(entity_id).bind(&r.item_code)
                    .bind(join_codes(&r.categories, ResultCategory::code))
                    .bind(join_codes(&r.methods, InspectionMethod::code))
                    .bind(r.findings.trim()).execute(&mut *tx).await?;
            }
            let summary = |m: Vec<(&String, String)>| serde_json::json!(m.into_iter().collect::<BTreeMap<_, _>>());
            // Complete once every item of the task has its result, whoever entered it.
            let have: i64 = self.query_scalar("SELECT COUNT(*) FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2")
                .bind(task_id).bind(entity_id).fetch_one(&mut *tx).await?;
            let complete = have == items;
            if complete {
                self.query("UPDATE visits SET state = 'submitted', submitted_by = $1, submitted_at = $2 WHERE county = $C AND task_id = $3 AND entity_id = $4")
                    .bind(actor.user_id).bind(now).bind(task_id).bind(entity_id).execute(&mut *tx).await?;
            }
            let action = if complete { "visit.submit" } else { "visit.results" };
            append_audit!(self, &mut *tx, actor, now, Audit::new(action, "visit", format!("{task_id}/{entity_id}")).task(task_id)
                .before(summary(before.iter().map(|(k, r)| (k, join_codes(&r.categories, ResultCategory::code))).collect()))
                .after(serde_json::json!({
                    "inspected_on": inspected_on,
                    "results": results.iter().map(|r| (r.item_code.clone(), serde_json::json!({
                        "categories": join_codes(&r.categories, ResultCategory::code),
                        "methods": join_codes(&r.methods, InspectionMethod::code),
                        "findings": r.findings.trim(),
                    }))).collect::<BTreeMap<_, _>>(),
                    "department": only,
                    "paper_reason": if checked == 0 { paper_reason } else { None },
                })))?;
            tx.commit().await?;
            Ok(if complete { VisitState::Submitted } else { visit.state })
        })
    }

    /// Sends a submitted visit back to its team with a note; the department's
    /// approval, if given, is withdrawn.
    pub async fn return_visit(
        &self,
        task_id: i64,
        entity_id: &str,
        department: &str,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        crate::retrying(|| self.return_visit_once(task_id, entity_id, department, note, actor, now))
            .await
    }

    async fn return_visit_once(
        &self,
        task_id: i64,
        entity_id: &str,
        department: &str,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "退回检查结果")
            .map_err(|e| invalid(e.to_string()))?;
        if !task.departments().iter().any(|d| d == department) {
            return Err(invalid("本部门没有参与该任务"));
        }
        let note = crate::posted("退回原因", note.trim(), liancha_domain::text::FREE_TEXT)?;
        if note.is_empty() {
            return Err(invalid("请填写退回原因"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, task.version, "state = state");
            let done = self.query("UPDATE visits SET state = 'returned', return_note = $1 WHERE county = $C AND task_id = $2 AND entity_id = $3 AND state = 'submitted'")
                .bind(note).bind(task_id).bind(entity_id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("只能退回已提交的检查结果"));
            }
            self.query("DELETE FROM reviews WHERE county = $C AND task_id = $1").bind(task_id).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("visit.return", "visit", format!("{task_id}/{entity_id}")).task(task_id)
                .after(serde_json::json!({"department": department, "note": note})))?;
            tx.commit().await?;
        });
        Ok(())
    }
}
