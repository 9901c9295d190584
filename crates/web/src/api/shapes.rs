//! The public shapes: every response is built from these, never from store or
//! domain types, so a staff-only field cannot slip out when those types grow.
//! Also the conversions from the store into them.

use super::*;

/// 枚举值：稳定的英文代码与中文名称。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeLabel {
    /// 代码
    #[schema(example = "market")]
    pub(super) code: String,
    /// 中文名称
    #[schema(example = "市场监管")]
    pub(super) label: String,
}

impl CodeLabel {
    pub(super) fn of(code: &str, label: &str) -> Self {
        CodeLabel {
            code: code.to_string(),
            label: label.to_string(),
        }
    }
}

/// 县（市、区）：行政区划代码（GB/T 2260）与名称。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountyRef {
    #[schema(example = "532323")]
    pub(super) code: String,
    #[schema(example = "牟定县")]
    pub(super) name: String,
}

/// 部门：代码与名称（部门代码在本县（市、区）内唯一）。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentRef {
    #[schema(example = "amr")]
    pub(super) code: String,
    #[schema(example = "县市场监督管理局")]
    pub(super) name: String,
}

/// 抽查事项的编码与名称。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemRef {
    #[schema(example = "SC-001")]
    pub(super) code: String,
    /// 事项名称；事项已不在现行公布的清单中时为 null
    pub(super) name: Option<String>,
}

/// 抽查事项清单中的一项。
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOut {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    /// 事项编码
    pub(super) code: String,
    /// 抽查事项
    pub(super) name: String,
    /// 抽查依据
    pub(super) legal_basis: String,
    /// 抽查主体
    pub(super) department: DepartmentRef,
    /// 抽查内容
    pub(super) content: String,
    /// 抽查方式
    pub(super) methods: Vec<CodeLabel>,
    /// 执法权限
    pub(super) authority: String,
    /// 适用对象类型；空表示适用于所有类型
    pub(super) entity_types: Vec<CodeLabel>,
    /// 所需专业领域：含此事项的任务，每个检查组至少有一名具备该专业领域的执法人员；null 表示不限
    pub(super) specialty: Option<String>,
    /// 事项类别：key 重点检查事项、general 一般检查事项
    pub(super) category: CodeLabel,
    /// 抽查比例（不低于），单位为基点（1 基点 = 0.01%）；按实施细则抽取的任务，各风险等级的比例不低于此数；null 表示按实施细则
    #[schema(minimum = 1, maximum = 10000)]
    pub(super) ratio_bp: Option<u32>,
    /// 抽查频次：每年抽查次数；null 表示未规定
    #[schema(minimum = 1, maximum = 12)]
    pub(super) frequency: Option<u32>,
    /// 配合部门
    pub(super) cooperating_departments: Vec<DepartmentRef>,
    /// 国家检查实施清单编码；null 表示没有
    pub(super) national_code: Option<String>,
}

/// 跨部门联合抽查事项清单。
#[derive(Debug, Serialize, ToSchema)]
pub struct JointListOut {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) domain: CodeLabel,
    pub(super) lead_department: DepartmentRef,
    /// 清单中的事项，按清单顺序
    pub(super) items: Vec<ItemRef>,
}

/// 某一风险类别的抽查比例。
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskRatio {
    /// 信用风险分类（A 最低，D 最高）
    pub(super) risk_class: CodeLabel,
    /// 抽查比例，单位为基点（1 基点 = 0.01%）
    pub(super) ratio_bp: u32,
    /// 抽查比例，百分数文本
    #[schema(example = "5.00%")]
    pub(super) ratio_percent: String,
}

/// 某一领域的实施细则。
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleBookOut {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    pub(super) domain: CodeLabel,
    /// 各风险类别的抽查比例
    pub(super) ratios: Vec<RiskRatio>,
    /// 同一检查对象一年内接受检查（随机与定向合计）的上限次数
    pub(super) annual_cap: u32,
    /// 检查结束后公示的期限（工作日）
    pub(super) publication_deadline_days: u32,
    /// 检查组最少人数
    pub(super) min_team_size: u32,
    /// 执法人员是否回避本人所在乡镇
    pub(super) recuse_same_township: bool,
}

/// 年度计划中的一项计划任务。
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanEntryOut {
    /// 计划月份（1–12）
    pub(super) month: u32,
    pub(super) title: String,
    pub(super) items: Vec<ItemRef>,
    /// 检查范围说明
    pub(super) scope: String,
    /// 据此开展并已公示的任务编号
    pub(super) published_tasks: Vec<i64>,
}

/// 已公布的年度抽查工作计划。
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    pub(super) id: i64,
    pub(super) year: i32,
    pub(super) domain: CodeLabel,
    pub(super) title: String,
    pub(super) lead_department: DepartmentRef,
    /// 参与部门（含牵头部门）
    pub(super) departments: Vec<DepartmentRef>,
    /// 公布时间
    pub(super) published_at: Option<String>,
    /// 计划文号（如 牟市监抽计〔2026〕1号；公布时牵头部门未设机关代字则为空）
    pub(super) number: String,
    pub(super) entries: Vec<PlanEntryOut>,
}

/// 已公示的联合抽查任务（概要）。
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskSummary {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    pub(super) id: i64,
    pub(super) year: i32,
    pub(super) title: String,
    pub(super) domain: CodeLabel,
    /// 检查模式
    pub(super) mode: CodeLabel,
    pub(super) lead_department: DepartmentRef,
    /// 参与部门（各事项的部门）
    pub(super) departments: Vec<DepartmentRef>,
    /// 检查事项
    pub(super) items: Vec<ItemRef>,
    /// 检查开始日期
    #[schema(example = "2026-03-01")]
    pub(super) inspection_start: String,
    /// 检查结束日期
    pub(super) inspection_end: String,
    /// 抽取方案摘要（SHA-256）
    pub(super) plan_digest: Option<String>,
    /// 公示时间
    #[schema(example = "2026-03-20T10:00:00+08:00")]
    pub(super) published_at: Option<String>,
    /// 任务文号（如 牟市监抽〔2026〕3号；封存时牵头部门未设机关代字则为空）
    pub(super) number: String,
    /// 抽查任务编码：机构代码 + 封存日期 + 当日序号（未设机构代码则为空）
    pub(super) national_code: String,
    /// 本任务的详情接口
    pub(super) url: String,
}

/// 一个随机源及其揭示值。
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceOut {
    /// 随机源说明
    pub(super) text: String,
    /// 揭示不早于
    pub(super) not_before: String,
    /// 揭示值
    pub(super) revealed: Option<String>,
}

/// 抽取概要：任何人可据此复算抽取。
#[derive(Debug, Serialize, ToSchema)]
pub struct DrawSummary {
    /// 抽取方案摘要（SHA-256）
    pub(super) plan_digest: Option<String>,
    /// 方案封存时间
    pub(super) committed_at: Option<String>,
    /// 抽取时间
    pub(super) drawn_at: Option<String>,
    /// 随机种子（十六进制）
    pub(super) seed: Option<String>,
    pub(super) sources: Vec<SourceOut>,
    /// 完整抽取记录（draw-v1 或 draw-v2 JSON）
    pub(super) record_url: String,
    /// 在浏览器中验证本次抽取的页面
    pub(super) verify_url: String,
}

/// 检查组成员：只有姓名与部门。
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub(super) name: String,
    pub(super) department: DepartmentRef,
}

/// 检查组。
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    /// 组号
    pub(super) team_no: i32,
    pub(super) members: Vec<MemberOut>,
}

/// 见证人。
#[derive(Debug, Serialize, ToSchema)]
pub struct WitnessOut {
    pub(super) name: String,
    pub(super) role: CodeLabel,
    /// 所在单位
    pub(super) organisation: String,
}

/// 公开的附件（只有说明，不含文件内容）。
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// 用途
    pub(super) purpose: CodeLabel,
    pub(super) filename: String,
    pub(super) content_type: String,
    /// 字节数
    pub(super) size: i64,
    /// 文件的 SHA-256
    pub(super) sha256: String,
    pub(super) uploaded_at: String,
}

/// 已公示任务的详情。
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    pub(super) task: TaskSummary,
    pub(super) draw: DrawSummary,
    pub(super) teams: Vec<TeamOut>,
    pub(super) witnesses: Vec<WitnessOut>,
    pub(super) attachments: Vec<AttachmentOut>,
    /// 本任务的检查结果接口
    pub(super) results_url: String,
}

/// 一户一个事项的已公示检查结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultOut {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    pub(super) task_id: i64,
    pub(super) task_title: String,
    /// 公示时间
    pub(super) published_at: Option<String>,
    /// 统一社会信用代码（无代码的主体为其编号）
    #[schema(example = "91532323MA6K0000X0")]
    pub(super) entity_id: String,
    pub(super) entity_name: String,
    pub(super) item: ItemRef,
    /// 抽查主体
    pub(super) department: DepartmentRef,
    /// 检查日期
    pub(super) inspected_on: Option<String>,
    /// 检查结果
    pub(super) categories: Vec<CodeLabel>,
    /// 检查方式
    pub(super) methods: Vec<CodeLabel>,
    /// 更正说明：结果经企业异议更正的，最近一次更正的日期、原结果和理由
    pub(super) correction: Option<String>,
}

/// 列入经营异常名录或严重违法失信名单的主体。
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedEntityOut {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    /// 统一社会信用代码（无代码的主体为其编号）
    pub(super) entity_id: String,
    pub(super) name: String,
    pub(super) township: String,
    /// 列入日期（经部门确认列入之日；随目录导入的标记无此日期）
    pub(super) listed_on: Option<String>,
}

page_type!(ItemsPage, ItemOut, "抽查事项");
page_type!(JointListsPage, JointListOut, "联合抽查事项清单");
page_type!(RuleBooksPage, RuleBookOut, "实施细则");
page_type!(PlansPage, PlanOut, "年度计划");
page_type!(TasksPage, TaskSummary, "已公示任务");
page_type!(ResultsPage, ResultOut, "检查结果");
page_type!(ListedPage, ListedEntityOut, "名单中的主体");

// ---------------------------------------------------------------------------
// From the store to the public shapes

pub(super) fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&liancha_domain::calendar::china())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

pub(super) fn time_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(time)
}

/// Names for the codes a response mentions: one county's departments and published
/// items (codes are the county's own).
pub(super) struct Names {
    pub(super) county: CountyRef,
    pub(super) departments: Vec<Department>,
    pub(super) items: BTreeMap<String, String>,
}

impl Names {
    pub(super) async fn load(s: &AppState, county: &Division) -> ApiResult<Names> {
        let c = s.app.public_county(&county.code);
        Ok(Names {
            county: CountyRef {
                code: county.code.to_string(),
                name: county.name.clone(),
            },
            departments: c.departments().await?,
            items: c
                .items(true)
                .await?
                .into_iter()
                .map(|i| (i.code, i.name))
                .collect(),
        })
    }

    /// The names of the county with this code.
    pub(super) async fn of(s: &AppState, code: &str) -> ApiResult<Names> {
        let code = DivisionCode::parse(code).map_err(|e| ApiError::internal(e.to_string()))?;
        let county = s
            .division(&code)
            .await?
            .ok_or_else(|| ApiError::internal(format!("no county {code}")))?;
        Names::load(s, &county).await
    }

    pub(super) fn county(&self) -> CountyRef {
        self.county.clone()
    }

    pub(super) fn dept(&self, code: &str) -> DepartmentRef {
        DepartmentRef {
            code: code.to_string(),
            name: self
                .departments
                .iter()
                .find(|d| d.code == code)
                .map_or_else(|| code.to_string(), |d| d.name.clone()),
        }
    }

    /// An item by code, named only if it is in the published list.
    pub(super) fn item(&self, code: &str) -> ItemRef {
        ItemRef {
            code: code.to_string(),
            name: self.items.get(code).cloned(),
        }
    }
}

pub(super) fn item_out(i: Item, names: &Names) -> ItemOut {
    ItemOut {
        county: names.county(),
        department: names.dept(&i.department),
        methods: i.methods.iter().map(|m| code_label!(*m)).collect(),
        entity_types: i.entity_types.iter().map(|t| code_label!(*t)).collect(),
        code: i.code,
        name: i.name,
        legal_basis: i.legal_basis,
        content: i.content,
        authority: i.authority,
        specialty: i.specialty,
        category: code_label!(i.category),
        ratio_bp: i.ratio_bp,
        frequency: i.frequency,
        cooperating_departments: i.cooperating.iter().map(|c| names.dept(c)).collect(),
        national_code: i.national_code,
    }
}

/// The task's own items, named as they were when it was sealed.
pub(super) fn task_items(t: &Task) -> Vec<ItemRef> {
    t.items
        .iter()
        .map(|i| ItemRef {
            code: i.code.clone(),
            name: Some(i.name.clone()),
        })
        .collect()
}

pub(super) fn task_summary(t: &Task, names: &Names) -> TaskSummary {
    TaskSummary {
        county: names.county(),
        id: t.id,
        year: t.year,
        title: t.title.clone(),
        domain: code_label!(t.domain),
        mode: code_label!(t.mode),
        lead_department: names.dept(&t.lead_department),
        departments: t.departments().iter().map(|d| names.dept(d)).collect(),
        items: task_items(t),
        inspection_start: t.inspection_start.to_string(),
        inspection_end: t.inspection_end.to_string(),
        plan_digest: t.plan_digest.clone(),
        published_at: time_opt(t.published_at),
        number: t.number.clone(),
        national_code: t.national_code.clone(),
        url: format!("/api/v1/tasks/{}", t.id),
    }
}

pub(super) fn result_out(r: PublishedResult, names: &Names) -> ResultOut {
    ResultOut {
        county: names.county(),
        task_id: r.task_id,
        task_title: r.task_title,
        published_at: time_opt(r.published_at),
        item: ItemRef {
            code: r.item_code,
            name: Some(r.item_name),
        },
        department: names.dept(&r.department),
        inspected_on: r.inspected_on.map(|d| d.to_string()),
        categories: r.categories.iter().map(|c| code_label!(*c)).collect(),
        methods: r.methods.iter().map(|m| code_label!(*m)).collect(),
        correction: r.correction.as_ref().map(|c| c.note()),
        entity_id: r.entity_id,
        entity_name: r.entity_name,
    }
}

pub(super) async fn published_tasks(s: &AppState, county: &Division) -> ApiResult<Vec<Task>> {
    Ok(s.app
        .public_county(&county.code)
        .tasks(&TaskFilter {
            state: Some(TaskState::Published),
            ..TaskFilter::default()
        })
        .await?)
}

/// A published task and its county, or 404 for any other (draft, committed, drawn,
/// cancelled, missing): the public cannot tell them apart.
pub(super) async fn published_task(s: &AppState, id: &str) -> ApiResult<(Division, Task)> {
    let not_found = || ApiError::not_found(format!("没有编号为 {id} 的已公示任务"));
    let Ok(n) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let Some(code) = s.app.public().published_task_county(n).await? else {
        return Err(not_found());
    };
    let county = s.division(&code).await?.ok_or_else(not_found)?;
    match s.app.public_county(&code).task(n).await? {
        Some(t) if t.state == TaskState::Published => Ok((county, t)),
        _ => Err(not_found()),
    }
}
