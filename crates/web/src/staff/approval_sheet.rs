//! The 检查审批表 of a task as a PDF file: what the lead department asked to
//! inspect (items and their legal basis, whom, by how many, when) and the head's
//! decision, for the file kept with the task (国办发〔2024〕54号: 涉企行政检查
//! approved in advance).

use liancha_app::documents::ApprovalSheet;
use liancha_domain::approval::ApprovalStep;
use liancha_domain::calendar::{china_date, chinese_date, format_china_time};
use liancha_print::Block;

use super::*;

/// `/staff/tasks/{id}/approval.pdf`, to whoever reads the task.
pub async fn approval_pdf(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let sheet = s.app.approval_sheet(&ctx, id).await?;
    let names = Names::load(&s, &staff.county.code).await?;
    let task = &sheet.task;
    let bytes = super::pdf::set(
        format!("检查审批表 · {}", task.title),
        names.dept(&task.lead_department),
        vec![approval_blocks(&sheet, &names)],
    )
    .await?;
    Ok(super::pdf::pdf_download(
        bytes,
        &format!("approval-{id}.pdf"),
        &format!("检查审批表-{id}.pdf"),
    ))
}

/// The form: one table of labels and values, signed by the lead department.
fn approval_blocks(sheet: &ApprovalSheet, names: &Names) -> Vec<Block> {
    let task = &sheet.task;
    let mut b = vec![Block::Title("涉企行政检查审批表".into())];
    if !task.number.is_empty() {
        b.push(Block::Number(task.number.clone()));
    }
    let mut rows: Vec<[String; 2]> = vec![["检查任务".into(), task.title.clone()]];
    if !task.national_code.is_empty() {
        rows.push(["任务编码".into(), task.national_code.clone()]);
    }
    let others: Vec<String> = task
        .departments()
        .iter()
        .filter(|d| **d != task.lead_department)
        .map(|d| names.dept(d))
        .collect();
    rows.push([
        "检查方式".into(),
        format!(
            "“双随机、一公开”{}抽查（{}，{}领域）",
            if others.is_empty() { "" } else { "联合" },
            task.mode.label(),
            task.domain.label()
        ),
    ]);
    rows.push(["牵头部门".into(), names.dept(&task.lead_department)]);
    if !others.is_empty() {
        rows.push(["参与部门".into(), others.join("、")]);
    }
    rows.push([
        "检查事项及依据".into(),
        sheet
            .items
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let basis = if i.legal_basis.is_empty() {
                    String::new()
                } else {
                    format!("；依据：{}", i.legal_basis)
                };
                format!(
                    "{}．{}（{}）{basis}",
                    n + 1,
                    i.name,
                    names.dept(&i.department)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    ]);
    rows.push([
        "检查对象".into(),
        format!(
            "从检查对象名录中随机抽取。范围：{}；抽取比例：{}",
            super::task::scope_text(task),
            super::task::quotas_text(task)
        ),
    ]);
    rows.push([
        "检查人员".into(),
        format!(
            "从执法检查人员名录中随机抽取，组成 {} 个检查组，每组至少 {} 人{}",
            task.team_count,
            task.team_size,
            if task.avoid_same_township {
                "，回避本乡镇"
            } else {
                ""
            }
        ),
    ]);
    rows.push([
        "检查期间".into(),
        format!(
            "{}至{}",
            chinese_date(task.inspection_start),
            chinese_date(task.inspection_end)
        ),
    ]);
    let request = sheet.steps.first();
    if let Some(r) = request {
        rows.push([
            "报请".into(),
            format!("{}　{}", r.by, format_china_time(r.at)),
        ]);
    }
    let decision = sheet.steps.get(1);
    rows.push([
        "审批意见".into(),
        match decision {
            None => "（待部门负责人审批）".into(),
            Some(d) => {
                let verdict = if d.step == ApprovalStep::Approved {
                    "同意"
                } else {
                    "不同意"
                };
                // The verdict once: an opinion often begins with it (“同意，按方案实施”).
                let opinion = match d.opinion.trim() {
                    "" => verdict.to_string(),
                    o if o.starts_with(verdict) => o.to_string(),
                    o => format!("{verdict}。{o}"),
                };
                format!(
                    "{opinion}\n负责人：{}　{}",
                    d.by,
                    chinese_date(china_date(d.at))
                )
            }
        },
    ]);
    b.push(Block::Table {
        widths: vec![1.3, 4.2],
        header: vec![],
        rows: rows.into_iter().map(Vec::from).collect(),
    });
    b.push(Block::Space(1.0));
    let dated = decision.or(request).map(|e| chinese_date(china_date(e.at)));
    b.push(Block::Right(
        std::iter::once(names.dept(&task.lead_department))
            .chain(dated)
            .collect(),
    ));
    b
}
