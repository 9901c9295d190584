//! The audit log page and its export.

use liancha_app::audit::{AuditLine, AuditSearch, AuditView, PAGE_SIZE};
use liancha_domain::audit::{ACTION_GROUPS, AuditAction, OBJECT_TYPES};
use liancha_domain::calendar::format_china_time_seconds;

use super::*;
use crate::pages::url_encode;
use crate::setup::{FormError, again};

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    staff: Staff,
    q: AuditParams,
    view: Option<AuditView>,
    error: Option<FormError>,
    /// The filter as a query string, for the pager and the export link.
    base: String,
}

impl AuditPage {
    /// The actions of a group, for the filter's select.
    fn actions(&self, prefix: &str) -> Vec<AuditAction> {
        AuditAction::ALL
            .iter()
            .copied()
            .filter(|a| a.code().starts_with(prefix))
            .collect()
    }

    fn groups(&self) -> &'static [(&'static str, &'static str)] {
        ACTION_GROUPS
    }

    fn object_types(&self) -> &'static [(&'static str, &'static str)] {
        OBJECT_TYPES
    }

    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.on(field))
            .map(|e| e.message.as_str())
    }

    /// A page of the same filter (askama passes a field by reference, a sum by value).
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = format!("page={}", page.borrow());
        crate::directory::link("/staff/audit", &self.base, &page)
    }

    fn first_no(&self) -> i64 {
        self.view
            .as_ref()
            .map_or(0, |v| (v.page - 1) * PAGE_SIZE + 1)
    }
}

/// The filter form as sent; every field is text, read by the use case, so that a
/// wrong value is named beside its field instead of refusing the request.
#[derive(Deserialize, Default, Clone)]
pub struct AuditParams {
    #[serde(default)]
    who: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    task: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

impl AuditParams {
    fn search(&self) -> Result<AuditSearch, FormError> {
        let task = match self.task.trim() {
            "" => None,
            t => Some(t.parse().map_err(|_| FormError {
                field: "task".into(),
                message: "任务编号应为正整数".into(),
            })?),
        };
        Ok(AuditSearch {
            who: self.who.clone(),
            what: self.what.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            task,
            from: self.from.clone(),
            to: self.to.clone(),
        })
    }

    fn query_string(&self) -> String {
        let pairs = [
            ("who", &self.who),
            ("what", &self.what),
            ("object_type", &self.object_type),
            ("object_id", &self.object_id),
            ("task", &self.task),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The county's log, filtered, a page at a time; `format=xlsx` downloads every
/// entry the filter matches. With `task`, that task's history, for whoever
/// manages the task too.
pub async fn audit(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<AuditParams>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let base = q.query_string();
    let parsed = q.search().and_then(|search| {
        search
            .parse()
            .map_err(|e| FormError::of(e).unwrap_or_default())
    });
    let query = match parsed {
        Ok(query) => query,
        Err(error) => {
            // A refused filter still needs the right to read the log at all.
            if !staff.may(&Action::ReadAudit) && q.task.trim().is_empty() {
                return Err(WebError::Forbidden);
            }
            let page = AuditPage {
                staff,
                q,
                view: None,
                error: Some(error),
                base,
            };
            return Ok(again(Html(page.render()?)));
        }
    };
    if q.format == "xlsx" {
        return match s.app.audit_export(&ctx, &query).await {
            Ok(lines) => xlsx(&lines),
            Err(e) => {
                let error = FormError::of(e)?;
                let page = AuditPage {
                    staff,
                    q,
                    view: None,
                    error: Some(error),
                    base,
                };
                Ok(again(Html(page.render()?)))
            }
        };
    }
    let page = q.page.trim().parse().unwrap_or(1);
    let view = s.app.audit_log(&ctx, &query, page).await?;
    Ok(Html(
        AuditPage {
            staff,
            q,
            view: Some(view),
            error: None,
            base,
        }
        .render()?,
    )
    .into_response())
}

fn xlsx(lines: &[AuditLine]) -> Result<Response, WebError> {
    use rust_xlsxwriter::{Format, Workbook};
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let wrap = Format::new().set_text_wrap();
        let ws = wb.add_worksheet();
        ws.set_name("操作日志")?;
        let headers = [
            "序号",
            "时间（北京时间）",
            "操作人",
            "操作",
            "对象",
            "对象编号",
            "对象名称",
            "任务",
            "变更",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (c, w) in [
            (1, 18.0),
            (2, 14.0),
            (3, 16.0),
            (5, 24.0),
            (6, 28.0),
            (8, 80.0),
        ] {
            ws.set_column_width(c, w)?;
        }
        for (r, l) in lines.iter().enumerate() {
            let r = r as u32 + 1;
            let e = &l.entry;
            ws.write_number(r, 0, e.id as f64)?;
            ws.write_string(r, 1, format_china_time_seconds(e.at))?;
            match &l.actor_name {
                Some(name) => ws.write_string(r, 2, format!("{name}（{}）", e.username))?,
                None => ws.write_string(r, 2, &e.username)?,
            };
            ws.write_string(r, 3, &l.action)?;
            ws.write_string(r, 4, &l.object)?;
            ws.write_string(r, 5, &e.object_id)?;
            if let Some(n) = &l.object_name {
                ws.write_string(r, 6, n)?;
            }
            if let Some(t) = e.task_id {
                ws.write_number(r, 7, t as f64)?;
            }
            ws.write_string_with_format(r, 8, cell(change_text(l)), &wrap)?;
        }
        wb.save_to_buffer()
    };
    let bytes = build().map_err(|e| WebError::BadRequest(format!("无法生成表格：{e}")))?;
    Ok(crate::pages::sheet_download(
        bytes,
        "audit-log.xlsx",
        "操作日志.xlsx",
        false,
    ))
}

/// Excel holds at most 32,767 characters in a cell: a longer text (a visit of many
/// items, each with long findings) is cut, saying so, rather than failing the file.
fn cell(text: String) -> String {
    const MAX: usize = 32_000;
    if text.chars().count() <= MAX {
        return text;
    }
    let mut cut: String = text.chars().take(MAX).collect();
    cut.push_str("…（过长，其余见系统内日志）");
    cut
}

/// An entry's changes as lines of text, for the file.
fn change_text(l: &AuditLine) -> String {
    l.changes
        .iter()
        .map(|c| match (&c.before, &c.after) {
            (Some(b), Some(a)) => format!("{}：{b} → {a}", c.field),
            (None, Some(a)) => format!("{}：{a}", c.field),
            (Some(b), None) => format!("{}：{b}（已删除）", c.field),
            (None, None) => c.field.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
