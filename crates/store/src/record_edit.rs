//! Corrections to one entity or inspector on its page, each in one transaction with
//! its audit entry (the record's history). The form carries the record as it showed
//! it: a change someone made meanwhile is refused, never overwritten unseen.

use chrono::{DateTime, Utc};
use liancha_domain::record_edit::{EntityDetails, InspectorDetails, Reason};
use liancha_domain::{Entity, Inspector};

use crate::accounts::{Actor, Audit};
use crate::{BeginWrite, County, Result, StoreError, append_audit, with_pool};

const CHANGED_MEANWHILE: &str = "该记录在您打开本页之后已被他人修改（或已由导入更新），未保存：请核对本页显示的当前内容后重新修改";

/// An entity moved out of this county cannot come back while another county has it.
fn active_elsewhere(e: sqlx::Error) -> StoreError {
    match crate::import::active_elsewhere(e) {
        StoreError::Invalid { .. } => StoreError::Invalid {
            field: Some("status"),
            message: "登记状态：该主体已在其他县（市、区）的名录中在册，同一主体只能在一个县（市、区）在册；\
                      须先由现所在地登记为「迁出」"
                .into(),
        },
        e => e,
    }
}

fn joined(labels: &[String]) -> String {
    labels.join("、")
}

/// A correction as its form gives it: the record as the page showed it (`None`: as
/// it is now), the change, and why.
#[derive(Debug, Clone, Copy)]
pub struct RecordEdit<'a, T> {
    pub expected: Option<&'a T>,
    pub change: &'a T,
    pub reason: &'a Reason,
}

impl County<'_> {
    /// An entity with what its page corrects, contacts included (staff-only).
    pub async fn entity_details(&self, id: &str) -> Result<Option<(Entity, EntityDetails)>> {
        let Some(entity) = self.entity(id).await? else {
            return Ok(None);
        };
        let (contact_name, contact_phone): (String, String) = with_pool!(self, p => self
            .query_as("SELECT contact_name, contact_phone FROM entities WHERE county = $C AND id = $1")
            .bind(&entity.id)
            .fetch_one(p)
            .await)?;
        let details = EntityDetails {
            status: entity.status,
            risk_class: entity.risk_class,
            tags: entity.tags.clone(),
            contact_name,
            contact_phone,
        };
        Ok(Some((entity, details)))
    }

    /// Sets an entity's status, risk class, tags and contacts, unless it is no longer
    /// as the form showed it.
    pub async fn update_entity(
        &self,
        id: &str,
        edit: RecordEdit<'_, EntityDetails>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let RecordEdit {
            expected,
            change,
            reason,
        } = edit;
        let (entity, current) = self
            .entity_details(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("检查对象 {id}")))?;
        let was = expected.unwrap_or(&current);
        if was == change {
            return Err(StoreError::invalid(
                "表单中的内容与现状相同，没有可保存的改动",
            ));
        }
        let mut after = change.to_json();
        after["reason"] = reason.as_str().into();
        let audit = Audit::new("entity.update", "entity", &entity.id)
            .before(was.to_json())
            .after(after);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Only the row as the form showed it: a concurrent edit or import is not
            // overwritten.
            let done = self.query("UPDATE entities SET status = $1, risk_class = $2, tags = $3, \
                 contact_name = $4, contact_phone = $5, updated_at = $6 \
                 WHERE county = $C AND id = $7 AND status = $8 AND risk_class = $9 AND tags = $10 \
                 AND contact_name = $11 AND contact_phone = $12")
                .bind(change.status.code()).bind(change.risk_class.code()).bind(joined(&change.tags))
                .bind(&change.contact_name).bind(&change.contact_phone).bind(now)
                .bind(&entity.id)
                .bind(was.status.code()).bind(was.risk_class.code()).bind(joined(&was.tags))
                .bind(&was.contact_name).bind(&was.contact_phone)
                .execute(&mut *tx).await
                .map_err(active_elsewhere)?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(CHANGED_MEANWHILE.into()));
            }
            append_audit!(self, &mut *tx, actor, now, audit)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    /// Sets an inspector's status, certificate, specialties and phone, if the
    /// inspector is still of `department` (the one whose admin may change it).
    pub async fn update_inspector(
        &self,
        id: &str,
        department: &str,
        edit: RecordEdit<'_, InspectorDetails>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let RecordEdit {
            expected,
            change,
            reason,
        } = edit;
        let inspector = self
            .inspector(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("执法人员 {id}")))?;
        let current = inspector_details(&inspector);
        let was = expected.unwrap_or(&current);
        if was == change {
            return Err(StoreError::invalid(
                "表单中的内容与现状相同，没有可保存的改动",
            ));
        }
        let mut after = change.to_json();
        after["reason"] = reason.as_str().into();
        let audit = Audit::new("inspector.update", "inspector", &inspector.id)
            .before(was.to_json())
            .after(after);
        let phone = Some(change.phone.clone()).filter(|p| !p.is_empty());
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE inspectors SET status = $1, certificate_no = $2, \
                 certificate_valid_until = $3, specialties = $4, phone = $5, updated_at = $6 \
                 WHERE county = $C AND id = $7 AND status = $8 AND certificate_no = $9 \
                 AND certificate_valid_until = $10 AND specialties = $11 AND COALESCE(phone, '') = $12 \
                 AND department = $13")
                .bind(change.status.code()).bind(&change.certificate_no)
                .bind(change.certificate_valid_until).bind(joined(&change.specialties))
                .bind(&phone).bind(now)
                .bind(&inspector.id)
                .bind(was.status.code()).bind(&was.certificate_no)
                .bind(was.certificate_valid_until).bind(joined(&was.specialties))
                .bind(&was.phone).bind(department)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(CHANGED_MEANWHILE.into()));
            }
            append_audit!(self, &mut *tx, actor, now, audit)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}

/// What an inspector's page corrects, as the inspector is now.
pub fn inspector_details(i: &Inspector) -> InspectorDetails {
    InspectorDetails {
        status: i.status,
        certificate_no: i.certificate_no.clone(),
        certificate_valid_until: i.certificate_valid_until,
        specialties: i.specialties.clone(),
        phone: i.phone.clone().unwrap_or_default(),
    }
}
