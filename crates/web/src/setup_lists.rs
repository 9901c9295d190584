//! A county's joint item lists (跨部门联合抽查事项清单) on the settings page: which
//! items of which departments are inspected together in a domain, and which
//! department leads. Saving a list by an existing code replaces it.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use liancha_domain::{Domain, JointItemList};
use serde::Deserialize;

use crate::session::CsrfForm;
use crate::setup::{FormError, Posted, again, settings_page};
use crate::{AppState, WebError};

/// The form as posted (kept when refused).
#[derive(Deserialize, Default, Clone)]
pub struct JointListForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub lead_department: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub published: String,
    /// Set when the form edits an existing list (its code is then fixed).
    #[serde(default)]
    pub editing: String,
}

impl JointListForm {
    pub fn of(l: &JointItemList) -> Self {
        JointListForm {
            code: l.code.clone(),
            name: l.name.clone(),
            domain: l.domain.code().into(),
            lead_department: l.lead_department.clone(),
            items: l.items.clone(),
            published: if l.published {
                "yes".into()
            } else {
                String::new()
            },
            editing: "yes".into(),
        }
    }

    /// Whether `item` is ticked (askama passes arguments by reference).
    pub fn has(&self, item: &str) -> bool {
        self.items.iter().any(|i| i == item)
    }

    /// The form of a list the 编办 sent back: 报请公布 ticked again, as its
    /// correction is to be submitted anew.
    pub(crate) fn resubmitted(mut self) -> Self {
        self.published = "yes".into();
        self
    }

    fn list(&self) -> Result<JointItemList, FormError> {
        let domain = Domain::from_code(&self.domain).ok_or_else(|| FormError {
            field: "domain".into(),
            message: "请选择领域".into(),
        })?;
        if self.lead_department.is_empty() {
            return Err(FormError {
                field: "lead_department".into(),
                message: "请选择牵头部门".into(),
            });
        }
        Ok(JointItemList {
            code: self.code.trim().to_string(),
            name: self.name.trim().to_string(),
            domain,
            lead_department: self.lead_department.clone(),
            items: self.items.clone(),
            published: self.published == "yes",
        })
    }
}

pub async fn save_joint_list(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<JointListForm>,
) -> Result<Response, WebError> {
    // Who may: the county's administrator, or the list's lead department (checked
    // by the use case, which knows the list's lead as it stands).
    let outcome = match f.list() {
        Err(e) => Err(e),
        Ok(list) => match s
            .app
            .save_joint_item_list(&staff.context(s.clock.now()), &list)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => Err(FormError::of(e)?),
        },
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/staff/settings?done=joint-list#joint-lists").into_response()),
        Err(error) => {
            let posted = Posted {
                joint: Some(f),
                error_in: "joint-list".into(),
                error: Some(error),
                ..Posted::default()
            };
            Ok(again(settings_page(&s, staff, None, posted).await?))
        }
    }
}
