use super::*;

impl County<'_> {
    pub(crate) async fn check_new_task(&self, t: &NewTask) -> Result<Vec<TaskItem>> {
        if t.title.trim().is_empty() {
            return Err(StoreError::invalid_field("title", "请填写任务名称"));
        }
        crate::posted("任务名称", &t.title, liancha_domain::text::NAME)
            .map_err(|e| e.on_field("title"))?;
        if t.items.is_empty() {
            return Err(StoreError::invalid_field("items", "请至少选择一项抽查事项"));
        }
        if t.inspection_end < t.inspection_start {
            return Err(StoreError::invalid_field(
                "inspection_end",
                "检查结束日期不能早于开始日期",
            ));
        }
        if !(2000..=2100).contains(&t.year) {
            return Err(StoreError::invalid_field("year", "年度不正确"));
        }
        let rules = self.rule_book(t.domain).await?;
        if t.team_size < rules.min_team_size {
            return Err(StoreError::invalid_field(
                "team_size",
                format!(
                    "检查组人数不能少于实施细则规定的 {} 人",
                    rules.min_team_size
                ),
            ));
        }
        if t.team_count == 0 || t.team_count > 500 {
            return Err(StoreError::invalid_field(
                "team_count",
                "检查组数量须在 1 至 500 之间",
            ));
        }
        if let QuotaSpec::RatioBp(r) = t.quotas
            && r.iter().any(|&x| x > 10_000)
        {
            return Err(StoreError::invalid_field(
                "quota_kind",
                "抽查比例须在 0 至 100% 之间",
            ));
        }
        let section_ok = |s: &str| {
            s.len() == 1
                && liancha_domain::industry::section_name(s.chars().next().unwrap_or(' ')).is_some()
        };
        if let Some(bad) = t
            .scope
            .entity_types
            .iter()
            .find(|s| EntityType::from_code(s).is_none())
        {
            return Err(StoreError::invalid_field(
                "entity_types",
                format!("主体类型「{bad}」不正确"),
            ));
        }
        if let Some(bad) = t
            .scope
            .risk_classes
            .iter()
            .find(|s| RiskClass::from_code(s).is_none())
        {
            return Err(StoreError::invalid_field(
                "risk_classes",
                format!("风险分类「{bad}」不正确"),
            ));
        }
        if let Some(bad) = t.scope.industry_sections.iter().find(|s| !section_ok(s)) {
            return Err(StoreError::invalid_field(
                "industry_sections",
                format!("行业门类「{bad}」不正确"),
            ));
        }
        let townships = self.townships().await?;
        if let Some(bad) = t
            .scope
            .townships
            .iter()
            .find(|n| !townships.iter().any(|x| &x.name == *n))
        {
            return Err(StoreError::invalid_field(
                "townships",
                format!("乡镇「{bad}」不存在"),
            ));
        }
        let departments = self.departments().await?;
        if !departments.iter().any(|d| d.code == t.lead_department) {
            return Err(StoreError::invalid_field(
                "lead_department",
                format!("牵头部门「{}」不存在", t.lead_department),
            ));
        }
        let mut items = Vec::new();
        let mut seen = BTreeSet::new();
        for code in &t.items {
            if !seen.insert(code.as_str()) {
                continue;
            }
            let item = self.item(code).await?.ok_or_else(|| {
                StoreError::invalid_field("items", format!("抽查事项「{code}」不存在"))
            })?;
            if !item.published {
                return Err(StoreError::invalid_field(
                    "items",
                    format!("抽查事项「{}」尚未公布，不能用于抽查", item.name),
                ));
            }
            items.push(TaskItem {
                code: item.code,
                name: item.name,
                department: item.department,
                specialty: item.specialty,
            });
        }
        if !items.iter().any(|i| i.department == t.lead_department) {
            return Err(StoreError::invalid_field(
                "lead_department",
                "牵头部门须至少有一项抽查事项",
            ));
        }
        // A team size below the number of departments is allowed: teams then have
        // one member per department (draw-v1 §6).
        Ok(items)
    }

    /// Creates a draft task.
    pub async fn create_task(&self, t: &NewTask, actor: &Actor, now: DateTime<Utc>) -> Result<i64> {
        let items = self.check_new_task(t).await?;
        let scope = serde_json::to_string(&t.scope).map_err(|e| invalid(e.to_string()))?;
        let quotas = match t.quotas {
            QuotaSpec::RuleBook => None,
            q => Some(serde_json::to_string(&q).map_err(|e| invalid(e.to_string()))?),
        };
        let created_by = actor
            .user_id
            .ok_or_else(|| invalid("须以用户身份创建任务"))?;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id = crate::tasks::insert_task!(self, tx, t, &items, &scope, &quotas, created_by, None::<i64>, actor, now);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Changes a draft.
    pub async fn update_task(
        &self,
        id: i64,
        version: i32,
        t: &NewTask,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let before = self.task_or_404(id).await?;
        before
            .state
            .require(TaskState::Draft, "修改")
            .map_err(workflow)?;
        crate::expect_version(&before, version)?;
        let items = self.check_new_task(t).await?;
        let scope = serde_json::to_string(&t.scope).map_err(|e| invalid(e.to_string()))?;
        let quotas = match t.quotas {
            QuotaSpec::RuleBook => None,
            q => Some(serde_json::to_string(&q).map_err(|e| invalid(e.to_string()))?),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, id, version,
                "year = $3, title = $4, domain = $5, mode = $6, lead_department = $7, scope = $8, quotas = $9, \
                 team_count = $10, team_size = $11, avoid_same_township = $12, inspection_start = $13, inspection_end = $14",
                t.year, t.title.trim(), t.domain.code(), t.mode.code(), &t.lead_department, &scope, &quotas,
                t.team_count as i32, t.team_size as i32, t.avoid_same_township, t.inspection_start, t.inspection_end);
            self.query("DELETE FROM task_items WHERE county = $C AND task_id = $1").bind(id).execute(&mut *tx).await?;
            for (pos, item) in items.iter().enumerate() {
                self.query("INSERT INTO task_items (county, task_id, item_code, position) VALUES ($C, $1, $2, $3)")
                    .bind(id).bind(&item.code).bind(pos as i32).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.update", "task", id).task(id)
                .before(before.audit_value()).after(serde_json::json!({
                    "title": t.title, "items": t.items, "scope": t.scope, "quotas": t.quotas,
                    "team_count": t.team_count, "team_size": t.team_size,
                    "inspection_start": t.inspection_start, "inspection_end": t.inspection_end,
                })))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn task(&self, id: i64) -> Result<Option<Task>> {
        with_pool!(self, p => {
            let mut c = p.acquire().await?;
            let row: Option<TaskRow> = self.query_as(&format!("{TASK_SELECT} AND id = $1"))
                .bind(id).fetch_optional(&mut *c).await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let items = task_items!(self, &mut *c, id);
                    let sources = task_sources!(self, &mut *c, id);
                    row.into_task(items, sources).map(Some)
                }
            }
        })
    }

    pub async fn task_or_404(&self, id: i64) -> Result<Task> {
        self.task(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("任务 {id}")))
    }

    pub async fn tasks(&self, f: &TaskFilter) -> Result<Vec<Task>> {
        let mut sql = TASK_SELECT.to_string();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        if f.year.is_some() {
            sql.push_str(&format!(" AND year = ${}", next()));
        }
        if f.state.is_some() {
            sql.push_str(&format!(" AND state = ${}", next()));
        }
        if f.department.is_some() {
            sql.push_str(&format!(
                " AND id IN (SELECT ti.task_id FROM task_items ti JOIN items i ON i.county = ti.county AND i.code = ti.item_code \
                 WHERE ti.county = $C AND i.department = ${})",
                next()
            ));
        }
        if f.campaign.is_some() {
            sql.push_str(&format!(" AND campaign_id = ${}", next()));
        }
        if f.inspector.is_some() {
            sql.push_str(&format!(
                " AND id IN (SELECT task_id FROM team_members WHERE county = $C AND inspector_id = ${} AND active)",
                next()
            ));
        }
        if f.announced {
            sql.push_str(" AND committed_at IS NOT NULL");
        }
        sql.push_str(" ORDER BY id DESC");
        let rows: Vec<TaskRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(y) = f.year { q = q.bind(y); }
            if let Some(s) = f.state { q = q.bind(s.code()); }
            if let Some(d) = &f.department { q = q.bind(d); }
            if let Some(c) = f.campaign { q = q.bind(c); }
            if let Some(i) = &f.inspector { q = q.bind(i); }
            q.fetch_all(p).await
        })?;
        let all_items: Vec<(i64, String, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT ti.task_id, i.code, i.name, i.department, i.specialty FROM task_items ti \
             JOIN items i ON i.county = ti.county AND i.code = ti.item_code \
             WHERE ti.county = $C ORDER BY ti.task_id, ti.position").fetch_all(p).await)?;
        let mut by_task: BTreeMap<i64, Vec<TaskItem>> = BTreeMap::new();
        for (t, code, name, department, specialty) in all_items {
            by_task.entry(t).or_default().push(TaskItem {
                code,
                name,
                department,
                specialty: Some(specialty).filter(|s| !s.is_empty()),
            });
        }
        // Sources too: a list's task is the whole task (the announcements list says
        // each one's reveal times). One or two rows per task.
        let all_sources: Vec<(i64, String, DateTime<Utc>, Option<String>)> = with_pool!(self, p => self.query_as(
            "SELECT task_id, text, not_before, revealed FROM task_sources \
             WHERE county = $C ORDER BY task_id, position").fetch_all(p).await)?;
        let mut sources: BTreeMap<i64, Vec<Source>> = BTreeMap::new();
        for (t, text, not_before, revealed) in all_sources {
            sources.entry(t).or_default().push(Source {
                text,
                not_before,
                revealed,
            });
        }
        rows.into_iter()
            .map(|r| {
                let items = by_task.remove(&r.id).unwrap_or_default();
                let sources = sources.remove(&r.id).unwrap_or_default();
                r.into_task(items, sources)
            })
            .collect()
    }

    /// What the permission check needs to know about a task.
    pub async fn task_scope(&self, task: &Task) -> Result<TaskScope> {
        let inspectors: Vec<String> = with_pool!(self, p => self.query_scalar(
            "SELECT inspector_id FROM team_members WHERE county = $C AND task_id = $1 AND active ORDER BY team_no, position")
            .bind(task.id).fetch_all(p).await)?;
        Ok(TaskScope {
            lead_department: task.lead_department.clone(),
            departments: task.departments(),
            townships: task.scope.townships.clone(),
            inspectors,
        })
    }
}
