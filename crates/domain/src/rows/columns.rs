//! The columns of entities, inspectors and items as clerks see them in a file:
//! headers, aliases, what each holds and the values it allows.

use super::*;

fn any() -> Vec<&'static str> {
    Vec::new()
}
fn yes_no() -> Vec<&'static str> {
    vec!["是", "否"]
}
fn sections() -> Vec<&'static str> {
    Vec::new()
}

macro_rules! col {
    ($key:literal, $header:literal, [$($alias:literal),*], $req:expr, $kind:ident, $desc:literal, $ex:literal) => {
        col!($key, $header, [$($alias),*], $req, $kind, $desc, $ex, any)
    };
    ($key:literal, $header:literal, [$($alias:literal),*], $req:expr, $kind:ident, $desc:literal, $ex:literal, $allowed:expr) => {
        Column {
            key: $key,
            header: $header,
            aliases: &[$($alias),*],
            required: $req,
            kind: CellKind::$kind,
            description: $desc,
            example: $ex,
            allowed: $allowed,
        }
    };
}
pub(crate) use col;

pub const ENTITY_COLUMNS: &[Column] = &[
    col!(
        "uscc",
        "统一社会信用代码",
        ["社会信用代码", "信用代码", "USCC"],
        false,
        Id,
        "18 位，按 GB 32100-2015 校验第 18 位；无代码的个体户等可留空，并填写注册号",
        "91532323MA6N0XXX1Q"
    ),
    col!(
        "reg_no",
        "注册号",
        ["原注册号", "工商注册号"],
        false,
        Id,
        "无统一社会信用代码时填写，用于生成稳定编号",
        "532323600012345"
    ),
    col!(
        "name",
        "名称",
        ["主体名称", "企业名称", "字号名称"],
        true,
        Text,
        "登记的全称",
        "牟定县共和镇示例农资经营部"
    ),
    col!(
        "entity_type",
        "类型",
        ["主体类型", "市场主体类型"],
        true,
        Text,
        "企业、个体工商户、农民专业合作社、其他",
        "个体工商户",
        EntityType::labels
    ),
    col!(
        "industry",
        "行业",
        ["行业代码", "所属行业", "国民经济行业"],
        false,
        Text,
        "GB/T 4754-2017 门类字母加代码，如 F5211；也可只写门类字母",
        "F5166",
        sections
    ),
    col!(
        "township",
        "乡镇",
        ["所属乡镇", "乡镇（街道）"],
        true,
        Text,
        "须为本县已有的乡镇",
        "共和镇"
    ),
    col!(
        "address",
        "地址",
        ["住所", "经营场所", "住所（经营场所）"],
        false,
        Text,
        "住所或经营场所",
        "共和镇龙川街 12 号"
    ),
    col!(
        "legal_rep",
        "法定代表人",
        ["法定代表人（负责人）", "经营者", "负责人"],
        false,
        Text,
        "法定代表人、负责人或经营者",
        "李明"
    ),
    col!(
        "registered_on",
        "成立日期",
        ["注册日期", "登记日期"],
        false,
        Date,
        "如 2019-05-08",
        "2019-05-08"
    ),
    col!(
        "status",
        "状态",
        ["登记状态", "经营状态"],
        false,
        Text,
        "存续、注销、吊销、迁出；留空为存续",
        "存续",
        EntityStatus::labels
    ),
    col!(
        "risk_class",
        "信用风险分类",
        ["风险分类", "信用风险等级", "风险等级"],
        false,
        Text,
        "A、B、C、D（A 风险最低）；留空为 B",
        "B",
        RiskClass::labels
    ),
    col!(
        "abnormal",
        "经营异常名录",
        ["列入经营异常名录"],
        false,
        Bool,
        "是 / 否；留空为否",
        "否",
        yes_no
    ),
    col!(
        "blacklisted",
        "严重违法失信名单",
        ["列入严重违法失信名单", "黑名单"],
        false,
        Bool,
        "是 / 否；留空为否",
        "否",
        yes_no
    ),
    col!(
        "tags",
        "许可证及标签",
        ["许可证", "标签", "许可"],
        false,
        Text,
        "多个用顿号「、」分隔，如 食品经营许可证、危险化学品",
        "食品经营许可证"
    ),
];

pub const INSPECTOR_COLUMNS: &[Column] = &[
    col!(
        "id",
        "执法人员编号",
        ["人员编号", "编号"],
        true,
        Id,
        "本县唯一的编号",
        "5323230012"
    ),
    col!("name", "姓名", [], true, Text, "", "王芳"),
    col!(
        "department",
        "所属部门",
        ["部门", "单位"],
        true,
        Text,
        "须为本县已有的部门全称",
        "牟定县市场监督管理局"
    ),
    col!(
        "certificate_no",
        "执法证号",
        ["执法证件号", "证件号"],
        true,
        Id,
        "行政执法证件号",
        "53232300012"
    ),
    col!(
        "certificate_valid_until",
        "执法证有效期至",
        ["有效期至", "证件有效期"],
        true,
        Date,
        "该日之后证件失效，不再参与抽取",
        "2028-12-31"
    ),
    col!(
        "specialties",
        "专业领域",
        ["专业", "擅长领域"],
        false,
        Text,
        "多个用顿号分隔",
        "食品安全、特种设备"
    ),
    col!(
        "township",
        "乡镇",
        ["所在乡镇", "常驻乡镇"],
        false,
        Text,
        "用于同乡镇回避；县级人员可留空",
        "共和镇"
    ),
    col!(
        "status",
        "状态",
        ["在岗状态"],
        false,
        Text,
        "在岗、休假、借调、离岗；留空为在岗",
        "在岗",
        InspectorStatus::labels
    ),
    col!(
        "phone",
        "联系电话",
        ["电话", "手机"],
        false,
        Id,
        "仅内部可见",
        "13800000000"
    ),
];

pub const ITEM_COLUMNS: &[Column] = &[
    col!(
        "code",
        "事项编码",
        ["编码", "事项编号"],
        true,
        Id,
        "本县唯一",
        "SC-001"
    ),
    col!(
        "name",
        "抽查事项",
        ["抽查事项名称", "抽查项目", "事项名称"],
        true,
        Text,
        "",
        "营业执照（登记证）规范使用情况的检查"
    ),
    col!(
        "legal_basis",
        "抽查依据",
        ["法律依据", "依据"],
        true,
        Text,
        "法律、法规、规章的名称与条款",
        "《中华人民共和国市场主体登记管理条例》第三十六条"
    ),
    col!(
        "department",
        "抽查主体",
        ["责任部门", "实施部门", "部门"],
        true,
        Text,
        "须为本县已有的部门全称",
        "牟定县市场监督管理局"
    ),
    col!(
        "content",
        "抽查内容",
        ["检查内容"],
        false,
        Text,
        "",
        "营业执照是否置于住所醒目位置"
    ),
    col!(
        "methods",
        "抽查方式",
        ["检查方式"],
        false,
        Text,
        "实地检查、书面检查、网络监测、检验检测、委托专业机构，多个用顿号分隔",
        // Several may be listed: no one-value drop-down in the template.
        "实地检查、书面检查"
    ),
    col!(
        "authority",
        "执法权限",
        ["权限"],
        false,
        Text,
        "",
        "行政检查"
    ),
    col!(
        "entity_types",
        "适用对象类型",
        ["检查对象类型", "对象类型"],
        false,
        Text,
        "企业、个体工商户、农民专业合作社、其他，多个用顿号分隔；留空为全部",
        "企业、个体工商户"
    ),
    col!(
        "specialty",
        "所需专业领域",
        ["专业领域"],
        false,
        Text,
        "检查须由具备该专业领域的执法人员参加时填写（如 特种设备），须与执法人员名录中的专业领域一致；留空为不限",
        "特种设备"
    ),
    col!(
        "category",
        "事项类别",
        ["抽查类别", "事项类型"],
        false,
        Text,
        "重点 或 一般（重点检查事项、一般检查事项）；留空为一般",
        "重点",
        ItemCategory::labels
    ),
    col!(
        "ratio",
        "抽查比例",
        ["抽查比例（%）", "比例"],
        false,
        Text,
        "百分数，至多两位小数，如 5 或 5%；任务按实施细则抽取时，各风险等级的比例不低于此数；留空为按实施细则",
        "5%"
    ),
    col!(
        "frequency",
        "抽查频次",
        ["频次", "抽查频次（次/年）"],
        false,
        Text,
        "每年抽查的次数，如 1 或 每年1次；不能超过该领域实施细则的年度抽查上限；留空为不限",
        "每年1次"
    ),
    col!(
        "cooperating",
        "配合部门",
        ["协同部门", "联合部门", "配合单位"],
        false,
        Text,
        "参与联合检查的其他部门全称，多个用顿号分隔；留空为无",
        "牟定县卫生健康局"
    ),
    col!(
        "national_code",
        "国家清单编码",
        ["检查实施清单编码", "实施清单编码", "国家编码"],
        false,
        Id,
        "国家检查实施清单中的编码，字母、数字或 -；没有可留空",
        ""
    ),
    col!(
        "published",
        "发布状态",
        ["状态", "是否发布"],
        false,
        Text,
        "已发布 或 草稿；留空为草稿",
        "已发布"
    ),
];

/// Industry section list for templates' explanation sheet.
pub fn industry_sections_text() -> String {
    SECTIONS
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join("；")
}
