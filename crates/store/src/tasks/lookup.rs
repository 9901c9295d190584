use super::*;

impl crate::Store {
    /// The counties holding a visit with this check code: the code is printed on the
    /// notice and checked on the province's portal, which does not know the county.
    /// Unique within a county; across counties a repeat is possible, if unlikely
    /// (2^39 codes), and then every county's visit is looked at.
    pub async fn check_code_counties(
        &self,
        code: &str,
    ) -> Result<Vec<liancha_domain::org::DivisionCode>> {
        let code = code.trim().to_ascii_uppercase();
        let rows: Vec<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT DISTINCT county FROM visits WHERE check_code = $1 ORDER BY county")
            .bind(&code).fetch_all(p).await)?;
        rows.iter()
            .map(|c| liancha_domain::org::DivisionCode::parse(c).map_err(StoreError::corrupt))
            .collect()
    }
}

impl crate::Store {
    /// The county of a task whose plan was sealed, whatever became of it since
    /// (drawn, published, cancelled): its announcement is public from the commit on.
    /// `None` for a draft (or no task): the public cannot tell which.
    pub async fn announced_task_county(
        &self,
        id: i64,
    ) -> Result<Option<liancha_domain::org::DivisionCode>> {
        let county: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT county FROM tasks WHERE id = $1 AND committed_at IS NOT NULL")
            .bind(id).fetch_optional(p).await)?;
        county
            .map(|c| liancha_domain::org::DivisionCode::parse(&c).map_err(StoreError::corrupt))
            .transpose()
    }

    /// The county of a published task: task ids are unique in the installation, so a
    /// published task keeps one public address whatever its county. `None` for a task
    /// that is not published (or does not exist): the public cannot tell which.
    pub async fn published_task_county(
        &self,
        id: i64,
    ) -> Result<Option<liancha_domain::org::DivisionCode>> {
        let county: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT county FROM tasks WHERE id = $1 AND state = 'published'")
            .bind(id).fetch_optional(p).await)?;
        county
            .map(|c| liancha_domain::org::DivisionCode::parse(&c).map_err(StoreError::corrupt))
            .transpose()
    }
}
