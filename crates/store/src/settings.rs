//! A county's choices about what its portal shows, each change on its audit trail.

use chrono::{DateTime, Utc};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, StoreError, append_audit, with_pool};

/// Whether `county`'s announcements list the entities a task drew from the draw
/// on. `None` (never set) is off.
pub(crate) const ANNOUNCE_SELECTION: &str =
    "SELECT announce_selection FROM county_settings WHERE county = $C";

impl County<'_> {
    /// Whether the county publishes each task's drawn entities on its
    /// announcement from the draw on (else with the results).
    pub async fn announces_selection(&self) -> Result<bool> {
        let on: Option<bool> = with_pool!(self, p => self.query_scalar(ANNOUNCE_SELECTION)
            .fetch_optional(p).await)?;
        Ok(on.unwrap_or(false))
    }

    pub async fn set_announce_selection(
        &self,
        on: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let before: Option<bool> = self.query_scalar(ANNOUNCE_SELECTION)
                .fetch_optional(&mut *tx).await?;
            let before = before.unwrap_or(false);
            if before != on {
                self.query("INSERT INTO county_settings (county, announce_selection) VALUES ($C, $1) \
                            ON CONFLICT (county) DO UPDATE SET announce_selection = excluded.announce_selection")
                    .bind(on).execute(&mut *tx).await?;
                append_audit!(self, &mut *tx, actor, now, Audit::new("settings.update", "settings", self.code().as_str())
                    .before(serde_json::json!({"announce_selection": before}))
                    .after(serde_json::json!({"announce_selection": on})))?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}
