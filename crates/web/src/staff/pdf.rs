//! Documents as PDF files (A4, fonts embedded): the 检查通知书 of a task, a team or
//! one entity, set by `liancha-print` from what the HTML notices say.

use std::sync::OnceLock;

use liancha_app::documents::{Documents, NoticeFacts};
use liancha_print::{Block, Fonts, Meta};

use super::*;

/// PDFs set at once: each takes a core while it runs (a county-wide task's notices
/// are 1,500 entities); more wait, then are told to come back.
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The fonts, loaded once found (CJK font files are tens of megabytes); blocking,
/// so only on a blocking thread. Not finding them is not remembered: fonts
/// installed later are found by the next request.
fn fonts() -> Result<Fonts, liancha_print::PrintError> {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    if let Some(f) = FONTS.get() {
        return Ok(f.clone());
    }
    let found = Fonts::find()?;
    Ok(FONTS.get_or_init(|| found).clone())
}

/// Whose documents: a team's (`team`), one entity's (`entity`), or the whole task's.
#[derive(Deserialize, Default)]
pub struct PdfQuery {
    #[serde(default)]
    team: String,
    #[serde(default)]
    entity: String,
}

impl PdfQuery {
    /// The team and entity asked for; a team that is not a number is refused
    /// rather than read as “every team”.
    fn parts(&self) -> Result<(Option<i32>, Option<&str>), WebError> {
        let team = match self.team.trim() {
            "" => None,
            t => Some(
                t.parse()
                    .map_err(|_| WebError::BadRequest(format!("检查组“{t}”不是组号")))?,
            ),
        };
        Ok((team, Some(self.entity.trim()).filter(|e| !e.is_empty())))
    }
}

/// `/staff/tasks/{id}/notices.pdf`: one notice per entity, each from a new page.
pub async fn notices_pdf(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PdfQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let (team, entity) = q.parts()?;
    let docs = s.app.documents(&ctx, id, team, entity).await?;
    if docs.visits.is_empty() {
        return Err(WebError::NotFound("没有可打印的检查通知书".into()));
    }
    let facts = s.app.notice_facts(&ctx, &docs.task).await?;
    let names = Names::load(&s, &staff.county.code).await?;
    let origin = super::documents::origin(&headers);
    let sections: Vec<Vec<Block>> = docs
        .visits
        .iter()
        .map(|v| notice_blocks(&docs, &facts, &names, &origin, v))
        .collect();
    deliver(
        ("notices", "检查通知书"),
        &docs.task,
        &names,
        (team, entity),
        sections,
    )
    .await
}

/// The PDF of `sections`, a `kind` (file name, document name) of `task`'s, as a
/// download named for what it holds.
async fn deliver(
    (ascii, kind): (&str, &str),
    task: &Task,
    names: &Names,
    (team, entity): (Option<i32>, Option<&str>),
    sections: Vec<Vec<Block>>,
) -> Result<Response, WebError> {
    let title = format!("{kind} · {}", task.title);
    let bytes = set(title, names.dept(&task.lead_department), sections).await?;
    let id = task.id;
    let tail = match (entity, team) {
        (Some(e), _) => format!("{id}-{e}"),
        (None, Some(t)) => format!("{id}-第{t}组"),
        (None, None) => id.to_string(),
    };
    Ok(pdf_download(
        bytes,
        &format!("{ascii}-{id}.pdf"),
        &format!("{kind}-{tail}.pdf"),
    ))
}

/// `/staff/tasks/{id}/forms.pdf`: one 联合检查记录表 per entity, to fill in on site.
pub async fn forms_pdf(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PdfQuery>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let (team, entity) = q.parts()?;
    let docs = s.app.documents(&ctx, id, team, entity).await?;
    if docs.visits.is_empty() {
        return Err(WebError::NotFound("没有可打印的检查记录表".into()));
    }
    let names = Names::load(&s, &staff.county.code).await?;
    let items: Vec<String> = docs.task.items.iter().map(|i| i.code.clone()).collect();
    let points = staff.rows(&s).check_points(&items).await?;
    let questions = super::points::question_views(&docs.task, &items, &points, &names);
    let sections: Vec<Vec<Block>> = docs
        .visits
        .iter()
        .map(|v| form_blocks(&docs, &questions, &names, v))
        .collect();
    deliver(
        ("forms", "联合检查记录表"),
        &docs.task,
        &names,
        (team, entity),
        sections,
    )
    .await
}

/// `/staff/tasks/{id}/results.pdf`: the 检查结果告知书 of each entity whose results
/// are published.
pub async fn results_pdf(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PdfQuery>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let (team, entity) = q.parts()?;
    let told = s.app.result_notices(&ctx, id, team, entity).await?;
    let names = Names::load(&s, &staff.county.code).await?;
    let sections: Vec<Vec<Block>> = told
        .docs
        .visits
        .iter()
        .map(|v| result_blocks(&told, &names, v))
        .collect();
    deliver(
        ("results", "检查结果告知书"),
        &told.docs.task,
        &names,
        (team, entity),
        sections,
    )
    .await
}

/// The entity's address, its township named once.
fn address(v: &Visit) -> String {
    if v.address.starts_with(&v.township) {
        v.address.clone()
    } else {
        format!("{} {}", v.township, v.address)
    }
}

/// The team as a document names it: `张三（组长，某局）、李四（某局）`.
fn team_line(team: &[TeamMember], names: &Names) -> String {
    team.iter()
        .enumerate()
        .map(|(n, m)| {
            let dept = names.dept(&m.department);
            if n == 0 {
                format!("{}（组长，{dept}）", m.name)
            } else {
                format!("{}（{dept}）", m.name)
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// One entity's 联合检查记录表: the check points and items to tick, the entity's
/// opinion, and the signatures of the team, its 组长, the reviewer and the entity.
fn form_blocks(
    docs: &Documents,
    questions: &[super::points::QuestionView],
    names: &Names,
    v: &Visit,
) -> Vec<Block> {
    let task = &docs.task;
    let team = docs.team_of(v);
    let mut b = vec![Block::Title("联合检查记录表".into())];
    b.push(Block::Number(if task.number.is_empty() {
        format!("任务编号 {}", task.id)
    } else {
        task.number.clone()
    }));
    let row = |k: &str, v: String| vec![k.to_string(), v];
    b.push(Block::Table {
        widths: vec![2.2, 7.8],
        header: vec!["任务".into(), task.title.clone()],
        rows: vec![
            row("检查对象", v.entity_name.clone()),
            row("统一社会信用代码", v.entity_id.clone()),
            row("地址", address(v)),
            row("检查通知书", v.notice_number.clone()),
            row(
                "核验码",
                if v.check_code.is_empty() {
                    "见送达的检查通知书".into()
                } else {
                    v.check_code.clone()
                },
            ),
            row("检查组", team_line(team, names)),
            row("检查日期", "      年    月    日".into()),
        ],
    });
    if !questions.is_empty() {
        b.push(Block::Heading(
            "一、检查要点（几个事项共用的要点只查一次）".into(),
        ));
        b.push(Block::Table {
            widths: vec![0.7, 4.0, 1.6, 2.6, 1.6],
            header: ["序号", "检查内容", "检查方法", "依据", "结果"]
                .map(String::from)
                .to_vec(),
            rows: questions
                .iter()
                .enumerate()
                .map(|(n, q)| {
                    vec![
                        (n + 1).to_string(),
                        format!(
                            "{}（{}{}）",
                            q.content,
                            q.departments,
                            if q.shared { "共用" } else { "" }
                        ),
                        q.method.to_string(),
                        q.citations
                            .iter()
                            .map(|(k, c)| {
                                if q.citations.len() > 1 {
                                    format!("{k}：{c}")
                                } else {
                                    c.clone()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                        "□符合\n□不符合\n□不涉及".into(),
                    ]
                })
                .collect(),
        });
    }
    b.push(Block::Heading(if questions.is_empty() {
        "一、检查事项及结果".into()
    } else {
        "二、检查事项及结果".into()
    }));
    let methods: String = InspectionMethod::ALL
        .iter()
        .map(|m| format!("□{}", m.label()))
        .collect::<Vec<_>>()
        .join("　");
    let categories: String = ResultCategory::ALL
        .iter()
        .map(|c| format!("□{}", c.label()))
        .collect::<Vec<_>>()
        .join("　");
    b.push(Block::Table {
        widths: vec![2.4, 1.4, 1.6, 2.6, 2.0],
        header: ["检查事项", "部门", "检查方式", "检查结果", "问题描述"]
            .map(String::from)
            .to_vec(),
        rows: task
            .items
            .iter()
            .map(|i| {
                vec![
                    format!("{} {}", i.code, i.name),
                    names.dept(&i.department),
                    methods.clone(),
                    categories.clone(),
                    String::new(),
                ]
            })
            .collect(),
    });
    b.push(Block::Table {
        widths: vec![1.0],
        header: vec!["被检查单位意见（对检查过程和记录的意见，可陈述、申辩）".into()],
        rows: vec![vec!["\n\n".into()]],
    });
    let mut signs = vec![format!(
        "检查人员签字：{}",
        team.iter()
            .map(|m| format!("{} ________", m.name))
            .collect::<Vec<_>>()
            .join("　")
    )];
    signs.push("组长签字：____________　　审核人签字：____________".into());
    signs.push("被检查单位负责人签字：____________　　日期：____________".into());
    for s in signs {
        b.push(Block::Space(0.2));
        b.push(Block::Plain(s));
    }
    b
}

/// One entity's 检查结果告知书: each item's result and the problems found, where it
/// is published, and what the entity may do about it.
fn result_blocks(
    told: &liancha_app::documents::ResultNotices,
    names: &Names,
    v: &Visit,
) -> Vec<Block> {
    let task = &told.docs.task;
    let cn = liancha_domain::calendar::chinese_date;
    let results = told.results.get(&v.entity_id);
    let mut b = vec![Block::Title("检查结果告知书".into())];
    if !v.notice_number.is_empty() {
        b.push(Block::Number(format!(
            "（依据检查通知书 {}）",
            v.notice_number
        )));
    }
    b.push(Block::Plain(format!("{}：", v.entity_name)));
    b.push(Block::Para(super::documents::result_intro(task, v)));
    let mut problems = false;
    b.push(Block::Table {
        widths: vec![3.0, 1.8, 2.6, 3.0],
        header: ["检查事项", "实施部门", "检查结果", "发现的问题"]
            .map(String::from)
            .to_vec(),
        rows: task
            .items
            .iter()
            .map(|i| {
                let r = results.and_then(|r| r.get(&i.code));
                problems |= r.is_some_and(|r| r.categories.iter().any(|c| c.is_problem()));
                let (categories, findings) = super::documents::result_cells(r);
                vec![
                    i.name.clone(),
                    names.dept(&i.department),
                    categories,
                    findings,
                ]
            })
            .collect(),
    });
    b.push(Block::Para(super::documents::result_published(task)));
    if problems {
        b.push(Block::Para(
            "对检查发现的问题，请按照有关部门的要求及时整改，并将整改情况报告相关部门。".into(),
        ));
    }
    b.push(Block::Para(liancha_domain::documents::result_remedy()));
    b.push(Block::Space(1.0));
    b.push(Block::Right(vec![
        format!("{}（牵头部门）", names.dept(&task.lead_department)),
        cn(task
            .published_at
            .map_or(told.docs.issued, liancha_domain::calendar::china_date)),
    ]));
    b
}

/// Sets the sections in a slot of its own, off the async threads.
pub(super) async fn set(
    title: String,
    author: String,
    sections: Vec<Vec<Block>>,
) -> Result<Vec<u8>, WebError> {
    let busy = || WebError::Unavailable {
        message: "正在生成其他 PDF 文件，请稍后再试。".into(),
        retry: Some(10),
    };
    let slot = tokio::time::timeout(std::time::Duration::from_secs(30), SLOTS.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    // The slot goes with the work: a request given up (the tab closed) still holds
    // it until its PDF is set.
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        liancha_print::render(
            &fonts()?,
            &Meta {
                title: &title,
                author: &author,
            },
            &sections,
        )
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "pdf job");
        WebError::Unavailable {
            message: "生成 PDF 文件失败，请稍后再试。".into(),
            retry: None,
        }
    })?
    .map_err(|e| {
        if !matches!(e, liancha_print::PrintError::NoFont) {
            tracing::error!(error = %e, "pdf");
        }
        WebError::Unavailable {
            message: e.to_string(),
            retry: None,
        }
    })
}

pub(super) fn pdf_download(bytes: Vec<u8>, ascii: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::pages::url_encode(name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// One entity's 检查通知书, as the HTML notice says it.
fn notice_blocks(
    docs: &Documents,
    facts: &NoticeFacts,
    names: &Names,
    origin: &str,
    v: &Visit,
) -> Vec<Block> {
    let task = &docs.task;
    let cn = liancha_domain::calendar::chinese_date;
    let mut b = vec![Block::Title("检查通知书".into())];
    if !v.notice_number.is_empty() {
        b.push(Block::Number(v.notice_number.clone()));
    }
    b.push(Block::Plain(format!("{}：", v.entity_name)));
    b.push(Block::Para(format!(
        "根据“双随机、一公开”监管工作安排，你单位（统一社会信用代码 {}）被随机抽中为“{}”{}的检查对象。检查组将于{}至{}期间到你单位开展一次性联合检查，一次检查完成以下全部事项：",
        v.entity_id,
        task.title,
        if task.number.is_empty() {
            String::new()
        } else {
            format!("（{}）", task.number)
        },
        cn(task.inspection_start),
        cn(task.inspection_end),
    )));
    b.push(Block::Table {
        widths: vec![0.7, 3.2, 1.8, 4.3],
        header: ["序号", "检查事项", "实施部门", "检查依据"]
            .map(String::from)
            .to_vec(),
        rows: facts
            .items
            .iter()
            .enumerate()
            .map(|(n, i)| {
                vec![
                    (n + 1).to_string(),
                    i.name.clone(),
                    names.dept(&i.department),
                    i.legal_basis.clone(),
                ]
            })
            .collect(),
    });
    b.push(Block::Para(super::documents::notice_count(
        facts,
        &v.entity_id,
        task.domain.label(),
        task.year,
    )));
    b.push(Block::Heading("请做好以下准备".into()));
    for (n, m) in liancha_domain::documents::materials(&facts.methods())
        .into_iter()
        .enumerate()
    {
        b.push(Block::Item {
            mark: format!("{}．", n + 1),
            text: m,
        });
    }
    b.push(Block::Heading("你单位依法享有以下权利".into()));
    for (n, r) in liancha_domain::documents::RIGHTS.iter().enumerate() {
        b.push(Block::Item {
            mark: liancha_domain::documents::ordinal_mark(n + 1),
            text: r.to_string(),
        });
    }
    let team = docs.team_of(v);
    let members: Vec<String> = team
        .iter()
        .map(|m| format!("{}（{}）", m.name, names.dept(&m.department)))
        .collect();
    if let Some(leader) = team.first() {
        b.push(Block::Para(format!(
            "检查组成员：{}。组长：{}，负责与你单位联系。执法人员将出示执法证件。",
            members.join("、"),
            leader.name,
        )));
    } else {
        b.push(Block::Para("执法人员将出示执法证件。".into()));
    }
    let sign = vec![
        format!("{}（牵头部门）", names.dept(&task.lead_department)),
        cn(docs.issued),
    ];
    if v.check_code.is_empty() {
        // The team's copy: the code and its QR are on the one the entity holds.
        b.push(Block::Para(
            "（检查组留存件：核验码和二维码印在送达被检查单位的通知书上。）".into(),
        ));
        b.push(Block::Right(sign));
        return b;
    }
    b.push(Block::Qr {
        data: format!("{origin}/check?code={}", v.check_code),
        caption: vec![
            format!("核验码：{}", v.check_code),
            format!("检查组到达后扫码签到。你单位可扫码或在 {origin}/check 输入核验码，核实检查、谨防假冒，评价或投诉（可匿名）。"),
        ],
        sign,
    });
    b
}
