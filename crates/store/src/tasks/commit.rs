use super::*;

impl County<'_> {
    /// Freezes the plan of the draw: population after exclusions, available
    /// inspectors, conflicts, team rules, declared sources. Logs the plan digest.
    pub async fn commit_task(
        &self,
        id: i64,
        version: i32,
        sources: &[SourceDecl],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<CommitSummary> {
        let task = self.task_or_404(id).await?;
        task.state
            .require(TaskState::Draft, "封存抽取方案")
            .map_err(workflow)?;
        crate::expect_version(&task, version)?;
        if sources.is_empty() {
            return Err(invalid("请至少声明一个随机源（如 drand 轮次、见证人掷骰）"));
        }
        for s in sources {
            s.check_future(now).map_err(workflow)?;
        }
        // Said before the plan is built (and checked again with the row held below).
        liancha_domain::approval::require_approved(&self.approvals(id).await?, version)
            .map_err(|e| StoreError::WrongState(e.to_string()))?;
        let texts: BTreeSet<&str> = sources.iter().map(|s| s.text.as_str()).collect();
        if texts.len() != sources.len() {
            return Err(invalid("随机源不能重复声明"));
        }
        let frozen = self.build_plan(&task, sources, now).await?;
        let plan = &frozen.plan;
        plan.validate()
            .map_err(|e| invalid(format!("抽取方案不合规：{e}")))?;
        let plan_value = plan.to_value();
        let digest = liancha_draw::hex::encode(&liancha_draw::digest_value(&plan_value));
        let plan_json = String::from_utf8(liancha_draw::json::canonical(&plan_value))
            .map_err(|e| invalid(e.to_string()))?;
        let mut excluded: BTreeMap<&'static str, usize> = BTreeMap::new();
        for (_, r) in &frozen.exclusions {
            *excluded.entry(r.code()).or_default() += 1;
        }
        let summary = CommitSummary {
            plan_digest: digest.clone(),
            population: plan.entities.len(),
            excluded,
            inspectors: plan.inspectors.len(),
            conflicts: plan.conflicts.len(),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Read with the change: a county turning its announcements off cannot
            // let a public-only plan through.
            let announced: Option<bool> = self.query_scalar(crate::settings::ANNOUNCE_SELECTION)
                .fetch_optional(&mut *tx).await?;
            if !announced.unwrap_or(false) {
                SourceDecl::require_private(sources)
                    .map_err(|e| StoreError::invalid_field("other_source", e.to_string()))?;
            }
            bump_version!(self, &mut *tx, id, version,
                "state = 'committed', committed_at = $3, plan_digest = $4, plan_json = $5, rule_book_version = $6",
                now, &digest, &plan_json, frozen.rule_book_version);
            // The head's approval of the version sealed, read with the task's row held:
            // an approval cannot be withdrawn, and an edit would have moved the version.
            let approvals = approval_events!(self, &mut *tx, id);
            liancha_domain::approval::require_approved(&approvals, version)
                .map_err(|e| StoreError::WrongState(e.to_string()))?;
            // Numbered as it is sealed, in this transaction: a refused seal takes none.
            let number = crate::numbers::number_for!(self, &mut *tx, &task.lead_department,
                liancha_domain::numbering::NumberKind::Task,
                chrono::Datelike::year(&liancha_domain::calendar::china_date(now)));
            let national = crate::numbers::national_code_for!(self, &mut *tx, &task.lead_department,
                liancha_domain::calendar::china_date(now));
            if number.is_some() || national.is_some() {
                self.query("UPDATE tasks SET number = $1, national_code = $2 WHERE county = $C AND id = $3")
                    .bind(number.as_deref().unwrap_or("")).bind(national.as_deref().unwrap_or(""))
                    .bind(id).execute(&mut *tx).await?;
            }
            for (pos, s) in sources.iter().enumerate() {
                self.query("INSERT INTO task_sources (county, task_id, position, text, not_before) VALUES ($C, $1, $2, $3, $4)")
                    .bind(id).bind(pos as i32).bind(&s.text).bind(s.not_before).execute(&mut *tx).await?;
            }
            for (entity, reason) in &frozen.exclusions {
                self.query("INSERT INTO task_exclusions (county, task_id, entity_id, reason) VALUES ($C, $1, $2, $3)")
                    .bind(id).bind(entity).bind(reason.code()).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.commit", "task", id).task(id).after(serde_json::json!({
                "plan_digest": digest, "number": number, "task_code": national, "committed_at": liancha_draw::time::format_rfc3339_utc(now.timestamp()),
                "population": summary.population, "excluded": summary.excluded,
                "inspectors": summary.inspectors, "conflicts": summary.conflicts,
                "sources": sources.iter().map(|s| serde_json::json!({"text": s.text, "not_before": s.not_before})).collect::<Vec<_>>(),
            })))?;
            crate::append_log!(self, tx, now, LogEvent::Sealed {
                task: id,
                plan_digest: digest.clone(),
                sources: sources.iter().map(|s| LoggedSource {
                    text: s.text.clone(),
                    not_before: liancha_draw::time::format_rfc3339_utc(s.not_before.timestamp()),
                }).collect(),
            });
            tx.commit().await?;
        });
        Ok(summary)
    }

    pub(crate) async fn build_plan(
        &self,
        task: &Task,
        sources: &[SourceDecl],
        now: DateTime<Utc>,
    ) -> Result<FrozenPlan> {
        let in_force = self
            .rule_book_on(task.domain, liancha_domain::calendar::china_date(now))
            .await?;
        let rules = &in_force.book;
        let item_codes: Vec<String> = task.items.iter().map(|i| i.code.clone()).collect();

        // The scope, every status: exclusions are listed, not silently dropped.
        let mut sql = String::from(
            "SELECT id, township, status, risk_class, abnormal, blacklisted FROM entities WHERE county = $C",
        );
        let mut binds: Vec<String> = Vec::new();
        let mut any_of = |column: &str, values: &[String], sql: &mut String| {
            if values.is_empty() {
                return;
            }
            let ph: Vec<String> = values
                .iter()
                .map(|v| {
                    binds.push(v.clone());
                    format!("${}", binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND {column} IN ({})", ph.join(", ")));
        };
        any_of("township", &task.scope.townships, &mut sql);
        any_of("entity_type", &task.scope.entity_types, &mut sql);
        any_of("risk_class", &task.scope.risk_classes, &mut sql);
        any_of(
            "substr(industry, 1, 1)",
            &task.scope.industry_sections,
            &mut sql,
        );
        if !task.scope.tags.is_empty() {
            let parts: Vec<String> = task
                .scope
                .tags
                .iter()
                .map(|t| {
                    binds.push(format!("%{t}%"));
                    format!("tags LIKE ${}", binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
        }
        sql.push_str(" ORDER BY id");
        type Row = (String, String, String, String, bool, bool);
        let rows: Vec<Row> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            for b in &binds { q = q.bind(b); }
            q.fetch_all(p).await
        })?;

        let counts = self.inspections_in_year(task.year).await?;
        let in_open = self.entities_in_open_tasks(&item_codes, task.id).await?;

        let mut exclusions = Vec::new();
        let mut entities = Vec::new();
        for (id, township, status, class, abnormal, blacklisted) in rows {
            let reason = if EntityStatus::from_code(&status) != Some(EntityStatus::Active) {
                Some(ExclusionReason::NotActive)
            } else if counts.get(&id).copied().unwrap_or(0) >= i64::from(rules.annual_cap) {
                Some(ExclusionReason::CapReached)
            } else if in_open.contains(&id) {
                Some(ExclusionReason::OpenTask)
            } else {
                None
            };
            match reason {
                Some(r) => exclusions.push((id, r)),
                None => {
                    let class = RiskClass::from_code(&class)
                        .ok_or_else(|| StoreError::corrupt(format!("risk_class {class}")))?;
                    entities.push(PlanEntity {
                        stratum: effective_stratum(class, abnormal, blacklisted)
                            .code()
                            .into(),
                        id,
                        township: Some(township),
                    });
                }
            }
        }

        let departments = task.departments();
        let specialties = task.specialties();
        let mut inspectors = Vec::new();
        for d in &departments {
            for i in self.inspectors(Some(d)).await? {
                // Certified through the last day of the inspection, and on duty.
                if i.is_available_on(task.inspection_end) {
                    inspectors.push(PlanInspector {
                        // Only what the draw needs: the required specialties held.
                        specialties: specialties
                            .iter()
                            .filter(|s| i.specialties.contains(s))
                            .cloned()
                            .collect(),
                        id: i.id,
                        department: i.department,
                        township: i.township,
                    });
                }
            }
        }
        // Each team takes its specialists before anyone else is drawn (draw-v2 §3),
        // so this many holders of each specialty let every seed form the teams:
        // refused now, before the plan is public, not at the draw.
        let needed =
            liancha_domain::workflow::specialists_needed(task.team_count, specialties.len());
        for s in &specialties {
            let holders = inspectors
                .iter()
                .filter(|i| i.specialties.contains(s))
                .count();
            if holders < needed {
                return Err(invalid(format!(
                    "本任务的抽查事项要求每个检查组至少有一名具备“{s}”专业领域的执法人员，\
                     参与部门中在岗持证且具备该专业的只有 {holders} 名，{} 个检查组至少需要 {needed} 名；\
                     请减少检查组数量，或在执法人员名录中补充专业领域",
                    task.team_count
                )));
            }
        }
        inspectors.sort_by(|a, b| a.id.cmp(&b.id));

        let population: BTreeSet<&str> = entities.iter().map(|e| e.id.as_str()).collect();
        let available: BTreeSet<&str> = inspectors.iter().map(|i| i.id.as_str()).collect();
        let mut conflicts: BTreeSet<(String, String)> = BTreeSet::new();
        let declared: Vec<(String, String)> = with_pool!(self, p => self.query_as(
            "SELECT inspector_id, entity_id FROM conflict_declarations WHERE county = $C").fetch_all(p).await)?;
        // Rotation: whoever was on the team of the entity's most recent visit.
        let previous: Vec<(String, String, i64)> = with_pool!(self, p => self.query_as(
            "SELECT v.entity_id, m.inspector_id, t.id FROM visits v \
             JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
             JOIN team_members m ON m.county = v.county AND m.task_id = v.task_id AND m.team_no = v.team_no AND m.active \
             WHERE v.county = $C AND t.state IN ('drawn', 'published') \
             AND v.state IN ('pending', 'submitted', 'returned', 'published') AND t.id <> $1 \
             ORDER BY v.entity_id, t.drawn_at DESC, t.id DESC").bind(task.id).fetch_all(p).await)?;
        let mut latest: BTreeMap<&str, i64> = BTreeMap::new();
        for (entity, _, task_id) in &previous {
            latest.entry(entity.as_str()).or_insert(*task_id);
        }
        for (entity, inspector, task_id) in &previous {
            if latest.get(entity.as_str()) == Some(task_id) {
                conflicts.insert((inspector.clone(), entity.clone()));
            }
        }
        conflicts.extend(declared);
        let conflicts: Vec<Conflict> = conflicts
            .into_iter()
            .filter(|(i, e)| available.contains(i.as_str()) && population.contains(e.as_str()))
            .map(|(inspector, entity)| Conflict { inspector, entity })
            .collect();

        // An item's 抽查比例 is the least share of every class: it raises the rule
        // book's ratios, and refuses ratios set lower by hand.
        let mut floor: Option<(u32, String)> = None;
        for code in &item_codes {
            if let Some(item) = self.item(code).await?
                && let Some(bp) = item.ratio_bp
                && floor.as_ref().is_none_or(|(f, _)| bp > *f)
            {
                floor = Some((bp, item.name));
            }
        }
        let ratios = match (task.quotas, &floor) {
            (QuotaSpec::RuleBook, _) => Some(liancha_domain::workflow::raised_ratios(
                rules.ratio_bp,
                floor.as_ref().map(|(f, _)| *f),
            )),
            (QuotaSpec::RatioBp(r), Some((f, name))) if r.iter().any(|x| x < f) => {
                return Err(StoreError::invalid_field(
                    "quotas",
                    format!(
                        "抽查事项「{name}」的抽查比例不低于 {}%，本任务设定的比例低于此数；\
                         请提高各风险等级的比例，或按实施细则抽取",
                        liancha_domain::setup_rows::bp_percent(*f)
                    ),
                ));
            }
            (QuotaSpec::RatioBp(r), _) => Some(r),
            (QuotaSpec::Count(_), _) => None,
        };
        let quotas = RiskClass::ALL
            .iter()
            .map(|c| Quota {
                stratum: c.code().into(),
                rule: match (ratios, task.quotas) {
                    (Some(r), _) => QuotaRule::RatioBp(u64::from(r[*c as usize])),
                    (None, QuotaSpec::Count(n)) => QuotaRule::Count(u64::from(n[*c as usize])),
                    (None, _) => QuotaRule::Count(0),
                },
            })
            .collect();

        let mut t = Object::new();
        t.insert("id", Value::Int(task.id));
        t.insert("title", Value::Str(task.title.clone()));
        t.insert("year", Value::Int(i64::from(task.year)));
        t.insert("domain", Value::Str(task.domain.code().into()));
        t.insert("mode", Value::Str(task.mode.code().into()));
        t.insert("lead_department", Value::Str(task.lead_department.clone()));
        t.insert(
            "items",
            Value::Array(item_codes.iter().map(|c| Value::Str(c.clone())).collect()),
        );
        t.insert(
            "departments",
            Value::Array(departments.iter().map(|c| Value::Str(c.clone())).collect()),
        );
        if !specialties.is_empty() {
            t.insert(
                "specialties",
                Value::Array(specialties.iter().map(|c| Value::Str(c.clone())).collect()),
            );
        }
        t.insert(
            "inspection_start",
            Value::Str(task.inspection_start.to_string()),
        );
        t.insert(
            "inspection_end",
            Value::Str(task.inspection_end.to_string()),
        );
        t.insert("excluded", Value::Int(exclusions.len() as i64));

        let plan = Plan {
            task: t,
            entities,
            selection: Selection::Quotas(quotas),
            inspectors,
            conflicts,
            teams: Some(TeamRules {
                count: u64::from(task.team_count),
                size: u64::from(task.team_size),
                departments,
                avoid_same_township: task.avoid_same_township,
                specialties,
            }),
            sources: sources.iter().map(|s| s.text.clone()).collect(),
        };
        Ok(FrozenPlan {
            plan,
            exclusions,
            rule_book_version: in_force.version,
        })
    }

    /// Inspections per entity in `year` up to task `task`'s draw (at `drawn_at`):
    /// visits of tasks drawn before it or it, and targeted inspections made by the
    /// day of its draw. What its notices say, whenever they are printed.
    pub async fn inspections_until(
        &self,
        year: i32,
        task: i64,
        drawn_at: DateTime<Utc>,
    ) -> Result<BTreeMap<String, i64>> {
        let sql = "SELECT entity_id, COUNT(*) FROM ( \
            SELECT v.entity_id FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
            WHERE v.county = $C AND t.year = $1 AND t.state IN ('drawn', 'published') \
            AND v.state IN ('pending', 'submitted', 'returned', 'published') AND (t.drawn_at <= $2 OR t.id = $3) \
            UNION ALL SELECT entity_id FROM targeted_inspections WHERE county = $C AND year = $1 AND inspected_on <= $4) x \
            GROUP BY entity_id";
        let day = liancha_domain::calendar::china_date(drawn_at);
        let rows: Vec<(String, i64)> = with_pool!(self, p => self.query_as(sql)
            .bind(year).bind(drawn_at).bind(task).bind(day).fetch_all(p).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Inspections per entity in a year: visits of drawn or published tasks (not
    /// replaced or unassigned) and targeted inspections.
    pub async fn inspections_in_year(&self, year: i32) -> Result<BTreeMap<String, i64>> {
        let sql =
            format!("SELECT entity_id, COUNT(*) FROM {INSPECTIONS_IN_YEAR} x GROUP BY entity_id");
        let rows: Vec<(String, i64)> =
            with_pool!(self, p => self.query_as(&sql).bind(year).fetch_all(p).await)?;
        Ok(rows.into_iter().collect())
    }

    async fn entities_in_open_tasks(
        &self,
        items: &[String],
        except: i64,
    ) -> Result<BTreeSet<String>> {
        let ph: Vec<String> = (0..items.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT DISTINCT v.entity_id FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
             WHERE v.county = $C AND t.state = 'drawn' AND t.id <> $1 AND v.state IN ('pending', 'submitted', 'returned') \
             AND EXISTS (SELECT 1 FROM task_items ti WHERE ti.county = t.county AND ti.task_id = t.id AND ti.item_code IN ({}))",
            ph.join(", ")
        );
        let rows: Vec<String> = with_pool!(self, p => {
            let mut q = self.query_scalar(&sql).bind(except);
            for i in items { q = q.bind(i); }
            q.fetch_all(p).await
        })?;
        Ok(rows.into_iter().collect())
    }

    pub async fn exclusions(&self, task_id: i64) -> Result<Vec<Exclusion>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT x.entity_id, e.name, x.reason FROM task_exclusions x \
             LEFT JOIN entities e ON e.county = x.county AND e.id = x.entity_id \
             WHERE x.county = $C AND x.task_id = $1 ORDER BY x.reason, x.entity_id").bind(task_id).fetch_all(p).await)?)
    }

    /// The frozen plan, as committed (canonical JSON).
    pub async fn plan_json(&self, task_id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => self.query_scalar("SELECT plan_json FROM tasks WHERE county = $C AND id = $1")
            .bind(task_id).fetch_optional(p).await)?
            .flatten(),
        )
    }

    /// The whole draw record, as stored at the draw.
    pub async fn draw_record(&self, task_id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => self.query_scalar("SELECT record_json FROM tasks WHERE county = $C AND id = $1")
            .bind(task_id).fetch_optional(p).await)?
            .flatten(),
        )
    }
}
