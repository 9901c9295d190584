//! The audit trail as the oversight office reads it: each action and object in
//! Chinese, and an entry's before and after values as a list of changed fields, with
//! names in place of the codes and ids the entries keep.
//!
//! Entries store JSON written by the store's use cases; what is known of their keys
//! is here, and an unknown key or code is shown as it is stored rather than hidden.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::Value;

use crate::attachment::AttachmentPurpose;
use crate::auth::Role;
use crate::labelled_enum;
use crate::labels::{Domain, InspectionMethod};
use crate::labels::{EntityStatus, EntityType, InspectorStatus, RiskClass};
use crate::org::Level;
use crate::workflow::{
    CreditList, ExclusionReason, FollowUpKind, FollowUpState, ProposalState, ResultCategory,
    TargetedSource, TaskMode, TaskState, VisitState, WitnessRole,
};

labelled_enum! {
    /// Every action the store writes to the audit trail.
    pub enum AuditAction {
        TaskCreate = ("task.create", "新建任务"),
        TaskUpdate = ("task.update", "修改任务"),
        TaskApprovalRequest = ("task.approval-request", "报请检查审批"),
        TaskApprovalGrant = ("task.approval-grant", "检查审批：同意"),
        TaskApprovalRefuse = ("task.approval-refuse", "检查审批：不同意"),
        TaskCommit = ("task.commit", "封存抽查方案"),
        TaskWitness = ("task.witness", "登记见证人"),
        TaskDraw = ("task.draw", "揭示随机源并抽取"),
        TaskSubstituteInspector = ("task.substitute-inspector", "替补检查人员"),
        TaskSubstituteEntity = ("task.substitute-entity", "替补检查对象"),
        TaskApprove = ("task.approve", "审核通过"),
        TaskPublish = ("task.publish", "公示结果"),
        TaskCancel = ("task.cancel", "取消任务"),
        VisitResults = ("visit.results", "录入检查结果"),
        VisitSubmit = ("visit.submit", "提交检查结果"),
        VisitReturn = ("visit.return", "退回检查结果"),
        VisitCheckIn = ("visit.check-in", "扫码入企签到"),
        VisitComplaint = ("visit.complaint", "企业投诉"),
        VisitComplaintHandle = ("visit.complaint-handle", "处理企业投诉"),
        AttachmentAdd = ("attachment.add", "上传附件"),
        FollowUpUpdate = ("follow-up.update", "修改后续处置"),
        FollowUpClose = ("follow-up.close", "后续处置办结"),
        CreditConfirm = ("credit.confirm", "确认列入名单"),
        CreditReject = ("credit.reject", "不予列入名单"),
        CreditRemove = ("credit.remove", "移出名单"),
        CreditRepairApply = ("credit.repair-apply", "申请信用修复"),
        CreditRepairGrant = ("credit.repair-grant", "准予信用修复"),
        CreditRepairRefuse = ("credit.repair-refuse", "不予信用修复"),
        CreditProvince = ("credit.province", "省级回传信用状态"),
        ResultObjection = ("result.objection", "企业对检查结果提出异议"),
        ResultObjectionUphold = ("result.objection-uphold", "答复异议：维持原结果"),
        ResultCorrect = ("result.correct", "更正检查结果"),
        UpwardExport = ("upward.export", "上报检查结果"),
        TargetedCreate = ("targeted.create", "登记定向检查"),
        TargetedCheckIn = ("targeted.check-in", "定向检查现场签到"),
        TargetedFindings = ("targeted.findings", "填写定向检查情况"),
        TargetedDocument = ("targeted.document", "上传来源文书"),
        ConflictDeclare = ("conflict.declare", "申报回避关系"),
        PlanCreate = ("plan.create", "新建年度计划"),
        PlanEntry = ("plan.entry", "添加计划任务"),
        PlanPublish = ("plan.publish", "公布年度计划"),
        PlanFile = ("plan.file", "登记计划备案"),
        CampaignCreate = ("campaign.create", "部署专项整治"),
        JointListAdd = ("joint-list.add", "新建联合抽查事项清单"),
        JointListUpdate = ("joint-list.update", "修改联合抽查事项清单"),
        JointListApprove = ("joint-list.approve", "审定联合抽查事项清单"),
        JointListReturn = ("joint-list.return", "退回联合抽查事项清单"),
        ItemDraft = ("item.draft", "保存抽查事项草稿"),
        ItemDiscard = ("item.discard", "放弃抽查事项草稿"),
        ItemPublish = ("item.publish", "发布抽查事项"),
        ItemWithdraw = ("item.withdraw", "撤回抽查事项"),
        RuleBookUpdate = ("rule-book.update", "修改抽查细则"),
        RuleBookImport = ("rule-book.import", "导入抽查细则"),
        DepartmentAdd = ("department.add", "新增部门"),
        DepartmentUpdate = ("department.update", "修改部门"),
        DepartmentImport = ("department.import", "导入部门"),
        DepartmentNumbering = ("department.numbering", "设置发文字号"),
        TownshipAdd = ("township.add", "新增乡镇"),
        TownshipImport = ("township.import", "导入乡镇"),
        DivisionAdd = ("division.add", "新增行政区划"),
        LogAddWitness = ("log.add-witness", "登记透明日志证人"),
        CalendarReplace = ("calendar.replace", "更新节假日"),
        SettingsUpdate = ("settings.update", "修改公示设置"),
        DirectoryImport = ("directory.import", "导入名录或清单"),
        EntityUpdate = ("entity.update", "修改检查对象信息"),
        InspectorUpdate = ("inspector.update", "修改执法人员信息"),
        UserCreate = ("user.create", "新建账号"),
        UserDisable = ("user.disable", "停用账号"),
        UserEnable = ("user.enable", "启用账号"),
        UserLogin = ("user.login", "登录"),
        UserLoginFailed = ("user.login-failed", "登录失败"),
        UserLogout = ("user.logout", "退出登录"),
        UserPassword = ("user.password", "修改密码"),
        UserPasswordFailed = ("user.password-failed", "修改密码失败"),
        UserPasswordReset = ("user.password-reset", "重置密码"),
        UserUpdate = ("user.update", "修改账号"),
    }
}

/// The groups the log's filter offers, by the prefix their actions share.
pub const ACTION_GROUPS: &[(&str, &str)] = &[
    ("task.", "任务"),
    ("visit.", "检查结果"),
    ("result.", "结果异议与更正"),
    ("upward.", "上报"),
    ("attachment.", "附件"),
    ("follow-up.", "后续处置"),
    ("credit.", "信用名单"),
    ("targeted.", "定向检查"),
    ("conflict.", "回避"),
    ("plan.", "年度计划"),
    ("campaign.", "专项整治"),
    ("joint-list.", "事项清单"),
    ("item.", "抽查事项"),
    ("directory.", "名录与清单导入"),
    ("entity.", "检查对象名录"),
    ("inspector.", "执法人员名录"),
    ("rule-book.", "抽查细则"),
    ("department.", "部门"),
    ("township.", "乡镇"),
    ("division.", "行政区划"),
    ("log.", "透明日志"),
    ("calendar.", "节假日"),
    ("settings.", "公示设置"),
    ("user.", "账号"),
];

/// What a filter on actions matches: one action, or a group of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    One(AuditAction),
    /// The actions whose codes begin with this prefix (one of [`ACTION_GROUPS`]).
    Group(&'static str),
}

impl ActionFilter {
    /// An action's code or a group's prefix, as the filter's select sends it.
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(a) = AuditAction::from_code(s) {
            return Some(ActionFilter::One(a));
        }
        ACTION_GROUPS
            .iter()
            .find(|(prefix, _)| *prefix == s)
            .map(|(prefix, _)| ActionFilter::Group(prefix))
    }

    pub fn code(&self) -> &'static str {
        match self {
            ActionFilter::One(a) => a.code(),
            ActionFilter::Group(p) => p,
        }
    }
}

/// An action in Chinese; an action this version does not know is shown by its code.
pub fn action_label(code: &str) -> &str {
    match AuditAction::from_code(code) {
        Some(a) => a.label(),
        None => code,
    }
}

/// The kinds of object entries are about, in Chinese.
pub const OBJECT_TYPES: &[(&str, &str)] = &[
    ("task", "任务"),
    ("visit", "检查对象"),
    ("entity", "市场主体"),
    ("inspector", "检查人员"),
    ("attachment", "附件"),
    ("follow-up", "后续处置"),
    ("targeted", "定向检查"),
    ("complaint", "企业投诉"),
    ("annual-plan", "年度计划"),
    ("campaign", "专项整治"),
    ("joint-list", "事项清单"),
    ("item", "抽查事项"),
    ("directory", "名录与清单"),
    ("rule-book", "抽查细则"),
    ("department", "部门"),
    ("township", "乡镇"),
    ("division", "行政区划"),
    ("calendar", "节假日"),
    ("settings", "公示设置"),
    ("user", "账号"),
];

pub fn object_label(code: &str) -> &str {
    OBJECT_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| *l)
}

/// What an entry's object is, when it has a name: a visit (`task/entity`) is its
/// entity's.
pub fn object_ref(object_type: &str, object_id: &str) -> Option<Ref> {
    match object_type {
        "visit" => object_id
            .split_once('/')
            .map(|(_, entity)| Ref::Entity(entity.to_string())),
        "entity" => Some(Ref::Entity(object_id.to_string())),
        "inspector" => Some(Ref::Inspector(object_id.to_string())),
        "department" => Some(Ref::Department(object_id.to_string())),
        "item" => Some(Ref::Item(object_id.to_string())),
        _ => None,
    }
}

/// Something an entry names by code or id, shown by its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ref {
    Department(String),
    Inspector(String),
    Entity(String),
    Item(String),
    Township(String),
}

/// One field of an entry: what it was and what it became (`None`: not there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// How the values under a key are read.
#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Name(fn(String) -> Ref),
    /// An object whose keys are item codes (a visit's results).
    ByItem,
    Label(fn(&str) -> Option<&'static str>),
    /// Codes joined by commas.
    Codes(fn(&str) -> Option<&'static str>),
    /// An instant (RFC 3339), shown in Beijing time to the second: deadlines and
    /// reveal times are enforced to the second.
    Time,
    /// An object whose keys are codes and whose values are counts (exclusions).
    Counted(fn(&str) -> Option<&'static str>),
    /// A task's quota rule: `{kind, values}`.
    Quota,
    /// A task's scope: lists of townships, types, classes, sections, tags.
    Scope,
}

fn state_label(c: &str) -> Option<&'static str> {
    TaskState::from_code(c)
        .map(TaskState::label)
        .or_else(|| VisitState::from_code(c).map(VisitState::label))
        .or_else(|| FollowUpState::from_code(c).map(FollowUpState::label))
        .or_else(|| ProposalState::from_code(c).map(ProposalState::label))
}

/// A visit's results keep each item's categories as codes alone (before) or in an
/// object with the methods and findings (after); both read through this.
fn category_label(c: &str) -> Option<&'static str> {
    ResultCategory::from_code(c).map(ResultCategory::label)
}

fn exclusion_label(c: &str) -> Option<&'static str> {
    ExclusionReason::from_code(c).map(ExclusionReason::label)
}

/// A directory record's status: an entity's (存续 …) or an inspector's (在岗 …).
fn status_label(c: &str) -> Option<&'static str> {
    EntityStatus::from_code(c)
        .map(EntityStatus::label)
        .or_else(|| InspectorStatus::from_code(c).map(InspectorStatus::label))
}

fn role_label(c: &str) -> Option<&'static str> {
    Role::from_code(c)
        .map(Role::label)
        .or_else(|| WitnessRole::from_code(c).map(WitnessRole::label))
}

fn kind_label(c: &str) -> Option<&'static str> {
    FollowUpKind::from_code(c)
        .map(FollowUpKind::label)
        .or_else(|| ExclusionReason::from_code(c).map(ExclusionReason::label))
        .or(match c {
            // A declared conflict of interest (回避关系), as its form names it.
            "tie" => Some("利害关系"),
            "entity-request" => Some("检查对象申请回避"),
            _ => None,
        })
}

/// The label and the reading of each key the store writes.
/// A key of an entry's values as the log names it (电话号码 for `phone`).
pub fn key_label(k: &str) -> &str {
    key(k).0
}

fn key(k: &str) -> (&str, Kind) {
    use Kind::*;
    let dept: fn(String) -> Ref = Ref::Department;
    match k {
        "department" | "target" | "target_department" => ("部门", Name(dept)),
        "lead_department" => ("牵头部门", Name(dept)),
        "departments" => ("参与部门", Name(dept)),
        "cooperating" => ("配合部门", Name(dept)),
        "legal_basis" => ("抽查依据", Plain),
        "content" => ("抽查内容", Plain),
        "authority" => ("执法权限", Plain),
        "entity_types" => (
            "适用对象类型",
            Codes(|c| crate::EntityType::from_code(c).map(crate::EntityType::label)),
        ),
        "specialty" => ("所需专业领域", Plain),
        "category" => (
            "事项类别",
            Label(|c| crate::ItemCategory::from_code(c).map(crate::ItemCategory::label)),
        ),
        "ratio" => ("抽查比例", Plain),
        "frequency" => ("抽查频次（次/年）", Plain),
        "national_code" => ("国家清单编码", Plain),
        "number" => ("文号", Plain),
        "opinion" => ("审批意见", Plain),
        "task_version" => ("方案版本", Plain),
        "filed_with" => ("备案机关", Plain),
        "filed_on" => ("备案日期", Plain),
        "reference" => ("备案号", Plain),
        "task_code" => ("抽查任务编码", Plain),
        "notices" => ("检查通知书", Plain),
        "notice_number" => ("检查通知书文号", Plain),
        "plan_word" => ("计划代字", Plain),
        "task_word" => ("任务代字", Plain),
        "notice_word" => ("通知书代字", Plain),
        "agency_code" => ("机构代码", Plain),
        "approved_at" => ("审定时间", Time),
        "inspector" => ("检查人员", Name(Ref::Inspector)),
        "entity" => ("检查对象", Name(Ref::Entity)),
        "items" | "item" => ("抽查事项", Name(Ref::Item)),
        "results" => ("检查结果", ByItem),
        "state" => ("状态", Label(state_label)),
        "domain" => ("领域", Label(|c| Domain::from_code(c).map(Domain::label))),
        "role" => ("角色", Label(role_label)),
        "mode" => (
            "方式",
            Label(|c| TaskMode::from_code(c).map(TaskMode::label)),
        ),
        "list" => (
            "名单",
            Label(|c| CreditList::from_code(c).map(CreditList::label)),
        ),
        "purpose" => (
            "用途",
            Label(|c| AttachmentPurpose::from_code(c).map(AttachmentPurpose::label)),
        ),
        "source" => (
            "来源",
            Label(|c| TargetedSource::from_code(c).map(TargetedSource::label)),
        ),
        "level" => ("级别", Label(|c| Level::parse(c).map(Level::label))),
        "kind" => ("类型", Label(kind_label)),
        "categories" => ("结果", Codes(category_label)),
        "methods" => (
            "检查方式",
            Codes(|c| InspectionMethod::from_code(c).map(InspectionMethod::label)),
        ),
        "title" => ("标题", Plain),
        "name" => ("名称", Plain),
        "display_name" => ("姓名", Plain),
        "year" => ("年度", Plain),
        "month" => ("月份", Plain),
        "scope" => ("检查范围", Scope),
        "quotas" => ("抽取数量", Quota),
        "campaign" => ("专项整治", Plain),
        "team" => ("检查组", Plain),
        "team_count" => ("检查组数", Plain),
        "team_size" => ("每组人数", Plain),
        "avoid_same_township" => ("同乡镇回避", Plain),
        "inspection_start" => ("检查开始", Plain),
        "inspection_end" => ("检查截止", Plain),
        "inspected_on" => ("检查日期", Plain),
        "findings" => ("问题描述", Plain),
        "reason" => ("原因", Plain),
        "note" => ("说明", Plain),
        "present" => ("在场检查人员", Plain),
        "location" => ("签到位置", Plain),
        "paper_reason" => ("未扫码签到原因", Plain),
        "reply" => ("处理情况", Plain),
        "anonymous" => ("匿名", Plain),
        "complaint" => ("投诉编号", Plain),
        "due_on" => ("办理期限", Plain),
        "rule" => ("替补规则", Plain),
        "plan_digest" => ("方案摘要", Plain),
        "committed_at" => ("封存时间", Time),
        "population" => ("抽取总体", Plain),
        "excluded" => ("排除", Counted(exclusion_label)),
        "inspectors" => ("检查人员数", Plain),
        "conflicts" => ("回避关系", Plain),
        "sources" => ("随机源", Plain),
        "reveal" => ("揭示值", Plain),
        "seed" => ("种子", Plain),
        "selected" => ("抽中主体", Plain),
        "teams" => ("组数", Plain),
        "unassigned" => ("未分配", Plain),
        "follow_ups" => ("后续处置", Plain),
        "credit_proposals" => ("信用名单建议", Plain),
        "proposal" => ("名单建议编号", Plain),
        "repair" => ("信用修复申请编号", Plain),
        "grounds" => (
            "申请情形",
            Codes(|c| {
                crate::credit_repair::RepairGround::from_code(c)
                    .map(crate::credit_repair::RepairGround::label)
            }),
        ),
        "applicant" => (
            "申请方式",
            Label(|c| {
                crate::credit_repair::RepairSource::from_code(c)
                    .map(crate::credit_repair::RepairSource::label)
            }),
        ),
        "objection" => ("异议编号", Plain),
        "since" => ("上报起点（不含）", Time),
        "until" => ("上报截至", Time),
        "format" => ("文件格式", Plain),
        "abnormal" => ("经营异常名录", Plain),
        "blacklisted" => ("严重违法失信名单", Plain),
        "organisation" => ("单位", Plain),
        "township" => ("乡镇", Name(Ref::Township)),
        "announce_selection" => ("抽取后即公布抽中对象", Plain),
        "entries" => ("计划任务数", Plain),
        "rows" => ("行数", Plain),
        "added" => ("新增", Plain),
        "updated" => ("更新", Plain),
        "directory" => ("名录", Plain),
        "days" => ("天数", Plain),
        "filename" => ("文件名", Plain),
        "content_type" => ("文件类型", Plain),
        "size" => ("大小（字节）", Plain),
        "sha256" => ("SHA-256", Plain),
        "attachment" => ("附件编号", Plain),
        "document" => ("文书编号", Plain),
        "published" => ("已公布", Plain),
        "ratio_bp" => ("抽查比例（万分之）", Plain),
        "annual_cap" => ("年度检查上限", Plain),
        "publication_deadline_days" => ("公示期限（工作日）", Plain),
        "min_team_size" => ("每组最少人数", Plain),
        "recuse_same_township" => ("同乡镇回避", Plain),
        "id" => ("编号", Plain),
        "status" => ("状态", Label(status_label)),
        "risk_class" => (
            "信用风险分类",
            Label(|c| RiskClass::from_code(c).map(RiskClass::label)),
        ),
        "tags" => ("许可证及标签", Plain),
        "contact_name" => ("联络员", Plain),
        "contact_phone" => ("联络电话", Plain),
        "certificate_no" => ("执法证号", Plain),
        "certificate_valid_until" => ("执法证有效期至", Plain),
        "specialties" => ("专业领域", Plain),
        "phone" => ("联系电话", Plain),
        "text" => ("内容", Plain),
        "not_before" => ("最早揭示", Time),
        _ => (k, Plain),
    }
}

type Names<'a> = &'a dyn Fn(&Ref) -> Option<String>;

fn show(v: &Value, kind: Kind, names: Names<'_>) -> String {
    match (v, kind) {
        (Value::Null, _) => "（空）".into(),
        (Value::Bool(b), _) => if *b { "是" } else { "否" }.into(),
        (Value::Number(n), _) => n.to_string(),
        (Value::String(s), _) if s.is_empty() => "（空）".into(),
        (Value::String(s), Kind::Name(make)) => {
            let r = make(s.clone());
            match names(&r) {
                Some(name) if name != *s => format!("{name}（{s}）"),
                _ => s.clone(),
            }
        }
        (Value::String(s), Kind::Label(label)) => label(s).unwrap_or(s).to_string(),
        (Value::String(s), Kind::Codes(label)) => s
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| label(c).unwrap_or(c))
            .collect::<Vec<_>>()
            .join("、"),
        (Value::String(s), Kind::Time) => beijing(s).unwrap_or_else(|| s.clone()),
        (Value::String(s), _) => s.clone(),
        (Value::Object(o), Kind::Quota) => quota(o).unwrap_or_else(|| show(v, Kind::Plain, names)),
        (Value::Object(o), Kind::Scope) => scope(o, names),
        (Value::Object(o), Kind::Counted(label)) if !o.is_empty() => o
            .iter()
            .map(|(c, n)| format!("{} {}", label(c).unwrap_or(c), show(n, Kind::Plain, names)))
            .collect::<Vec<_>>()
            .join("，"),
        (Value::Array(a), _) if a.is_empty() => "（无）".into(),
        (Value::Array(a), _) => a
            .iter()
            .map(|v| show(v, kind, names))
            .collect::<Vec<_>>()
            .join("、"),
        (Value::Object(o), Kind::ByItem) => o
            .iter()
            .map(|(item, v)| {
                format!(
                    "{}：{}",
                    show(&Value::String(item.clone()), Kind::Name(Ref::Item), names),
                    show(v, Kind::Codes(category_label), names)
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
        (Value::Object(o), _) if o.is_empty() => "（无）".into(),
        (Value::Object(o), _) => o
            .iter()
            // Inside an object an empty value says nothing (a result without findings).
            .filter(|(_, v)| !is_blank(v))
            .map(|(k, v)| {
                let (label, kind) = key(k);
                format!("{label}：{}", show(v, kind, names))
            })
            .collect::<Vec<_>>()
            .join("，"),
    }
}

/// `2026-11-19T02:00:00Z` as `2026-11-19 10:00:00` (Beijing time).
fn beijing(s: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(
        t.with_timezone(&crate::calendar::china())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

/// A task's quota rule: by the rule book, or per risk class A–D a ratio (basis
/// points) or a count.
fn quota(o: &serde_json::Map<String, Value>) -> Option<String> {
    let per_class = |unit: fn(u64) -> String| -> Option<String> {
        let values = o.get("values")?.as_array()?;
        let shown: Option<Vec<String>> = values
            .iter()
            .zip(RiskClass::ALL)
            .map(|(v, c)| Some(format!("{} {}", c.label(), unit(v.as_u64()?))))
            .collect();
        Some(shown?.join("、"))
    };
    match o.get("kind")?.as_str()? {
        "rule-book" => Some("按实施细则的比例".into()),
        "ratio-bp" => Some(format!(
            "按比例：{}",
            per_class(|bp| format!("{}.{:02}%", bp / 100, bp % 100))?
        )),
        "count" => Some(format!("按数量：{}", per_class(|n| format!("{n} 户"))?)),
        _ => None,
    }
}

/// A task's scope: what it narrows the directory to, or the whole county.
fn scope(o: &serde_json::Map<String, Value>, names: Names<'_>) -> String {
    let list = |key: &str| -> Vec<String> {
        o.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut parts = Vec::new();
    let mut part = |label: &str, shown: Vec<String>| {
        if !shown.is_empty() {
            parts.push(format!("{label}：{}", shown.join("、")));
        }
    };
    part(
        "乡镇",
        list("townships")
            .into_iter()
            .map(|c| show(&Value::String(c), Kind::Name(Ref::Township), names))
            .collect(),
    );
    part(
        "主体类型",
        list("entity_types")
            .into_iter()
            .map(|c| EntityType::from_code(&c).map_or(c, |t| t.label().to_string()))
            .collect(),
    );
    part(
        "风险等级",
        list("risk_classes")
            .into_iter()
            .map(|c| RiskClass::from_code(&c).map_or(c, |r| r.label().to_string()))
            .collect(),
    );
    part(
        "行业门类",
        list("industry_sections")
            .into_iter()
            .map(|c| crate::industry::section_with_name(&c))
            .collect(),
    );
    part("标签", list("tags"));
    // Keys this reading does not know are shown as stored, never hidden.
    for (k, v) in o {
        if ![
            "townships",
            "entity_types",
            "risk_classes",
            "industry_sections",
            "tags",
        ]
        .contains(&k.as_str())
            && !is_blank(v)
        {
            part(k, vec![show(v, Kind::Plain, names)]);
        }
    }
    if parts.is_empty() {
        "全部（不限范围）".into()
    } else {
        parts.join("；")
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The fields an entry changed, in the order of their keys. For two objects, each
/// key of `after` whose value differs from `before`'s (a key only `before` has is
/// context, not a change); an entry with only one side lists that side's fields.
pub fn changes(
    before: Option<&Value>,
    after: Option<&Value>,
    names: &dyn Fn(&Ref) -> Option<String>,
) -> Vec<Change> {
    let one = |field: &str, b: Option<&Value>, a: Option<&Value>| {
        let (label, kind) = key(field);
        Change {
            field: label.to_string(),
            before: b.map(|v| show(v, kind, names)),
            after: a.map(|v| show(v, kind, names)),
        }
    };
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => a
            .iter()
            // A change, not an empty field that was not there before either.
            .filter(|(k, v)| b.get(*k) != Some(v) && !(b.get(*k).is_none() && is_blank(v)))
            .map(|(k, v)| one(k, b.get(k), Some(v)))
            .collect(),
        // One side only: what was set, leaving out what was left empty.
        (None | Some(Value::Null), Some(Value::Object(a))) => a
            .iter()
            .filter(|(_, v)| !is_blank(v))
            .map(|(k, v)| one(k, None, Some(v)))
            .collect(),
        (Some(Value::Object(b)), None | Some(Value::Null)) => b
            .iter()
            .filter(|(_, v)| !is_blank(v))
            .map(|(k, v)| one(k, Some(v), None))
            .collect(),
        (None, None) => Vec::new(),
        (b, a) => vec![Change {
            field: "值".into(),
            before: b.map(|v| show(v, Kind::Plain, names)),
            after: a.map(|v| show(v, Kind::Plain, names)),
        }],
    }
}

/// Everything [`changes`] would show by name, for the caller to look up at once.
pub fn refs(before: Option<&Value>, after: Option<&Value>) -> BTreeSet<Ref> {
    let seen = RefCell::new(BTreeSet::new());
    let record = |r: &Ref| {
        seen.borrow_mut().insert(r.clone());
        None
    };
    changes(before, after, &record);
    seen.into_inner()
}

/// Parses an entry's stored JSON; a value that is not JSON is shown as text.
pub fn parse_value(stored: Option<&str>) -> Option<Value> {
    stored.map(|s| serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(r: &Ref) -> Option<String> {
        match r {
            Ref::Department(c) if c == "amr" => Some("县市场监管局".into()),
            Ref::Inspector(c) if c == "I-7" => Some("张三".into()),
            Ref::Entity(c) if c == "E-1" => Some("牟定县某某商店".into()),
            Ref::Item(c) if c == "SC-001" => Some("营业执照公示情况检查".into()),
            Ref::Township(c) if c == "532323100" => Some("共和镇".into()),
            _ => None,
        }
    }

    #[test]
    fn every_action_has_a_chinese_label_and_a_known_group() {
        for a in AuditAction::ALL {
            assert!(!a.label().is_ascii(), "{}", a.code());
            assert!(
                ACTION_GROUPS.iter().any(|(p, _)| a.code().starts_with(p)),
                "{} has no group",
                a.code()
            );
        }
        assert_eq!(action_label("task.commit"), "封存抽查方案");
        assert_eq!(action_label("something.new"), "something.new");
        assert_eq!(object_label("follow-up"), "后续处置");
        assert_eq!(
            ActionFilter::parse("task."),
            Some(ActionFilter::Group("task."))
        );
        assert_eq!(
            ActionFilter::parse("visit.return"),
            Some(ActionFilter::One(AuditAction::VisitReturn))
        );
        assert_eq!(ActionFilter::parse("task"), None);
        assert_eq!(ActionFilter::parse("%"), None);
    }

    /// Every action code the store writes is one the log can name: read from the
    /// store's and the application's sources, so that a new action without a label
    /// fails here rather than showing its code to the oversight office.
    #[test]
    fn every_action_the_store_writes_is_labelled() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = BTreeSet::new();
        // Modules split into directories are read too.
        let mut files = Vec::new();
        let mut dirs: Vec<_> = ["store/src", "app/src", "web/src", "cli/src"]
            .iter()
            .map(|d| root.join(d))
            .collect();
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    dirs.push(e.path());
                } else {
                    files.push(e.path());
                }
            }
        }
        assert!(files.len() > 40, "read only {files:?}");
        {
            for path in files {
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                for line in text.lines() {
                    if !(line.contains("Audit::new(") || line.contains("let action = ")) {
                        continue;
                    }
                    for lit in line.split('"').skip(1).step_by(2) {
                        let is_code = lit.contains('.')
                            && lit
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'-');
                        if is_code {
                            found.insert(lit.to_string());
                        }
                    }
                }
            }
        }
        assert!(found.len() > 30, "found only {found:?}");
        for code in &found {
            assert!(
                AuditAction::from_code(code).is_some(),
                "{code} has no label"
            );
        }
    }

    #[test]
    fn a_change_names_what_it_changed_and_hides_the_context() {
        let before = json!({"state": "drawn", "title": "A", "lead_department": "amr"});
        let after = json!({"title": "B", "lead_department": "amr", "items": ["SC-001", "X-9"]});
        let c = changes(Some(&before), Some(&after), &names);
        assert_eq!(
            c,
            vec![
                Change {
                    field: "抽查事项".into(),
                    before: None,
                    after: Some("营业执照公示情况检查（SC-001）、X-9".into()),
                },
                Change {
                    field: "标题".into(),
                    before: Some("A".into()),
                    after: Some("B".into()),
                },
            ]
        );
    }

    #[test]
    fn codes_and_ids_are_shown_by_name() {
        let before = json!({"team": 2, "inspector": "I-7"});
        let after = json!({"team": 2, "inspector": "I-8", "reason": "病假"});
        let c = changes(Some(&before), Some(&after), &names);
        assert_eq!(c[0].field, "检查人员");
        assert_eq!(c[0].before.as_deref(), Some("张三（I-7）"));
        assert_eq!(c[0].after.as_deref(), Some("I-8"));
        assert_eq!(c[1].after.as_deref(), Some("病假"));

        let created = json!({"role": "department-admin", "department": "amr", "township": null});
        let c = changes(None, Some(&created), &names);
        let shown: Vec<_> = c
            .iter()
            .map(|c| (c.field.as_str(), c.after.as_deref().unwrap()))
            .collect();
        assert_eq!(
            shown,
            vec![("部门", "县市场监管局（amr）"), ("角色", "部门管理员")]
        );

        let state = changes(
            Some(&json!({"state": "drawn"})),
            Some(&json!({"state": "cancelled", "reason": "重复"})),
            &names,
        );
        assert_eq!(state[1].before.as_deref(), Some("已抽取，检查中"));
        assert_eq!(state[1].after.as_deref(), Some("已取消"));

        // A declared conflict of interest, and a directory record's corrections.
        let tie = changes(None, Some(&json!({"kind": "tie"})), &names);
        assert_eq!(tie[0].after.as_deref(), Some("利害关系"));
        let edit = changes(
            Some(&json!({"status": "active", "risk_class": "B", "contact_name": ""})),
            Some(&json!({"status": "revoked", "risk_class": "B", "contact_name": "王芳"})),
            &names,
        );
        let shown: Vec<_> = edit
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("联络员", Some("（空）"), Some("王芳")),
                ("状态", Some("存续"), Some("吊销")),
            ]
        );
    }

    #[test]
    fn a_visits_results_read_per_item() {
        let before = json!({"SC-001": "none"});
        let after = json!({
            "inspected_on": "2026-12-01",
            "results": {"SC-001": {"categories": "not-disclosed,corrected", "methods": "on-site", "findings": "未公示"}},
        });
        let c = changes(Some(&before), Some(&after), &names);
        let results = c.iter().find(|c| c.field == "检查结果").unwrap();
        let shown = results.after.as_deref().unwrap();
        assert!(
            shown.starts_with("营业执照公示情况检查（SC-001）："),
            "{shown}"
        );
        assert!(
            shown.contains("未按规定公示应当公示的信息、发现问题已责令改正"),
            "{shown}"
        );
        assert!(shown.contains("问题描述：未公示"), "{shown}");
        let none = json!({"results": {"SC-001": {"categories": "none", "findings": ""}}});
        let c = changes(None, Some(&none), &names);
        assert_eq!(
            c[0].after.as_deref(),
            Some("营业执照公示情况检查（SC-001）：结果：未发现问题")
        );
    }

    #[test]
    fn refs_are_collected_for_one_lookup() {
        let after = json!({"entity": "E-1", "team": 1, "departments": ["amr", "agri"], "results": {"SC-001": "none"}});
        let r = refs(None, Some(&after));
        assert!(r.contains(&Ref::Entity("E-1".into())));
        assert!(r.contains(&Ref::Department("agri".into())));
        assert!(r.contains(&Ref::Item("SC-001".into())));
        assert_eq!(r.len(), 4);
    }

    #[test]
    fn objects_with_names() {
        assert_eq!(
            object_ref("visit", "12/E-1"),
            Some(Ref::Entity("E-1".into()))
        );
        assert_eq!(object_ref("visit", "broken"), None);
        assert_eq!(object_ref("task", "12"), None);
        assert_eq!(
            object_ref("inspector", "I-7"),
            Some(Ref::Inspector("I-7".into()))
        );
    }

    #[test]
    fn anything_else_is_shown_as_stored() {
        assert_eq!(
            parse_value(Some("not json")),
            Some(Value::String("not json".into()))
        );
        let c = changes(None, parse_value(Some("not json")).as_ref(), &names);
        assert_eq!(c[0].after.as_deref(), Some("not json"));
        assert!(changes(None, None, &names).is_empty());
    }

    /// What a sealing and a new task write reads in Chinese and Beijing time: no
    /// stored code, key or UTC instant reaches the page.
    #[test]
    fn a_task_reads_without_codes_or_utc() {
        let created = json!({
            "quotas": {"kind": "count", "values": [1, 2, 3, 2]},
            "scope": {"townships": ["532323100"], "entity_types": [], "risk_classes": ["C", "D"],
                      "industry_sections": ["F"], "tags": []},
        });
        let c = changes(None, Some(&created), &names);
        let shown: Vec<String> = c
            .iter()
            .map(|c| format!("{}={}", c.field, c.after.clone().unwrap()))
            .collect();
        assert_eq!(
            shown,
            [
                "抽取数量=按数量：A类 1 户、B类 2 户、C类 3 户、D类 2 户",
                "检查范围=乡镇：共和镇（532323100）；风险等级：C类、D类；行业门类：F 批发和零售业",
            ]
        );
        let ratio = json!({"quotas": {"kind": "ratio-bp", "values": [100, 250, 1000, 5]},
                           "scope": {"townships": [], "tags": []}});
        let c = changes(None, Some(&ratio), &names);
        assert_eq!(
            c[0].after.as_deref(),
            Some("按比例：A类 1.00%、B类 2.50%、C类 10.00%、D类 0.05%")
        );
        assert_eq!(c[1].after.as_deref(), Some("全部（不限范围）"));
        let rule_book = json!({"quotas": {"kind": "rule-book"}});
        assert_eq!(
            changes(None, Some(&rule_book), &names)[0].after.as_deref(),
            Some("按实施细则的比例")
        );
        let sealed = json!({
            "committed_at": "2026-11-19T02:00:00Z",
            "excluded": {"not-active": 809, "open-task": 8},
            "sources": [{"text": "公证员现场掷骰", "not_before": "2026-12-06T16:30:05Z"}],
            "role": "notary",
        });
        let c = changes(None, Some(&sealed), &names);
        let get = |f: &str| {
            c.iter()
                .find(|c| c.field == f)
                .and_then(|c| c.after.clone())
                .unwrap()
        };
        assert_eq!(get("封存时间"), "2026-11-19 10:00:00");
        // Past midnight in Beijing: the date moves on too.
        assert!(
            get("随机源").contains("最早揭示：2026-12-07 00:30:05"),
            "{}",
            get("随机源")
        );
        assert!(!get("排除").contains("not-active"), "{}", get("排除"));
        assert!(get("排除").contains(" 809"), "{}", get("排除"));
        assert_eq!(get("角色"), "公证员");
        // Unknown shapes are still shown as stored.
        let odd = json!({"quotas": {"kind": "new-kind"}, "scope": {"zone": "x"}});
        let c = changes(None, Some(&odd), &names);
        assert!(c[0].after.as_deref().unwrap().contains("new-kind"));
        assert_eq!(c[1].after.as_deref(), Some("zone：x"));
    }
}
