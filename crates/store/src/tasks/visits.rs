use super::*;

impl County<'_> {
    pub async fn team_members(&self, task_id: i64) -> Result<Vec<TeamMember>> {
        type Row = (
            i32,
            i32,
            String,
            Option<String>,
            Option<String>,
            bool,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = with_pool!(self, p => self.query_as(
                "SELECT m.team_no, m.position, m.inspector_id, i.name, i.department, m.active, m.replaced_by, m.replace_reason, \
                 i.specialties \
                 FROM team_members m LEFT JOIN inspectors i ON i.county = m.county AND i.id = m.inspector_id \
                 WHERE m.county = $C AND m.task_id = $1 ORDER BY m.team_no, m.position").bind(task_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    team_no,
                    position,
                    inspector_id,
                    name,
                    department,
                    active,
                    replaced_by,
                    replace_reason,
                    specialties,
                )| TeamMember {
                    specialties: crate::directories::split_tags(&specialties.unwrap_or_default()),
                    name: name.unwrap_or_else(|| inspector_id.clone()),
                    department: department.unwrap_or_default(),
                    team_no,
                    position,
                    inspector_id,
                    active,
                    replaced_by,
                    replace_reason,
                },
            )
            .collect())
    }

    pub async fn visits(&self, task_id: i64) -> Result<Vec<Visit>> {
        let sql = format!("{VISIT_SELECT} AND v.task_id = $1 ORDER BY v.draw_order");
        let rows: Vec<VisitRow> =
            with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?;
        rows.into_iter().map(Visit::try_from).collect()
    }

    /// How far a task's visits are: how many are to be made (not replaced), how many
    /// have their results entered (submitted or published), how many are published.
    pub async fn visit_progress(&self, task_id: i64) -> Result<VisitProgress> {
        let (total, entered, published): (i64, i64, i64) = with_pool!(self, p => self.query_as(
            "SELECT COUNT(CASE WHEN state <> 'replaced' THEN 1 END), \
                    COUNT(CASE WHEN state IN ('submitted', 'published') THEN 1 END), \
                    COUNT(CASE WHEN state = 'published' THEN 1 END) \
             FROM visits WHERE county = $C AND task_id = $1")
            .bind(task_id).fetch_one(p).await)?;
        Ok(VisitProgress {
            total,
            entered,
            published,
        })
    }

    pub async fn visit(&self, task_id: i64, entity_id: &str) -> Result<Option<Visit>> {
        let sql = format!("{VISIT_SELECT} AND v.task_id = $1 AND v.entity_id = $2");
        let row: Option<VisitRow> = with_pool!(self, p => self.query_as(&sql).bind(task_id).bind(entity_id).fetch_optional(p).await)?;
        row.map(Visit::try_from).transpose()
    }

    pub async fn visit_by_code(&self, code: &str) -> Result<Option<Visit>> {
        let sql = format!("{VISIT_SELECT} AND v.check_code = $1");
        let row: Option<VisitRow> = with_pool!(self, p => self.query_as(&sql).bind(code.trim().to_ascii_uppercase()).fetch_optional(p).await)?;
        row.map(Visit::try_from).transpose()
    }

    /// The visits an inspector is on, across drawn tasks, soonest task first.
    pub async fn visits_for_inspector(&self, inspector_id: &str) -> Result<Vec<Visit>> {
        let sql = format!(
            "{VISIT_SELECT} AND v.state IN ('pending', 'submitted', 'returned') \
             AND EXISTS (SELECT 1 FROM tasks t WHERE t.county = v.county AND t.id = v.task_id AND t.state = 'drawn') \
             AND EXISTS (SELECT 1 FROM team_members m WHERE m.county = v.county AND m.task_id = v.task_id \
               AND m.team_no = v.team_no AND m.inspector_id = $1 AND m.active) \
             ORDER BY (SELECT t.inspection_start FROM tasks t WHERE t.county = v.county AND t.id = v.task_id), \
             v.task_id, v.draw_order"
        );
        let rows: Vec<VisitRow> =
            with_pool!(self, p => self.query_as(&sql).bind(inspector_id).fetch_all(p).await)?;
        rows.into_iter().map(Visit::try_from).collect()
    }
}
