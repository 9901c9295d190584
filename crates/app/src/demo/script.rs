//! The year's script: the tasks it holds and how each ends, the ties declared, the
//! targeted inspections, and what each visit found.

use super::*;

/// How a task of the year ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    /// Results published; `settled`: its follow-ups closed and listings decided.
    Published,
    /// Every visit in; one department has approved, another not yet.
    InReview,
    /// Drawn, the inspections under way.
    Drawn,
    /// Sealed, its source not yet revealed.
    Sealed,
    Draft,
    /// Sealed, then cancelled with a reason.
    Cancelled,
}

pub(super) struct Spec {
    pub(super) title: &'static str,
    pub(super) domain: Domain,
    pub(super) lead: &'static str,
    pub(super) items: &'static [&'static str],
    /// GB/T 4754 sections the task covers (none: every entity).
    pub(super) sections: &'static [&'static str],
    pub(super) quotas: [u32; 4],
    pub(super) teams: u32,
    /// Days before today that the inspections start (negative: after today).
    pub(super) starts_ago: i64,
    pub(super) fate: Fate,
}

pub(super) const SPECS: &[Spec] = &[
    Spec {
        title: "商贸流通领域部门联合抽查（第一批）",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-001", "SC-002", "GS-001"],
        sections: &["F"],
        quotas: [1, 3, 5, 3],
        teams: 3,
        starts_ago: 320,
        fate: Fate::Published,
    },
    Spec {
        title: "农业投入品经营主体部门联合抽查",
        domain: Domain::Agriculture,
        lead: "agri",
        items: &["NY-001", "NY-002", "LC-001"],
        sections: &["A", "F"],
        quotas: [1, 2, 4, 3],
        teams: 2,
        starts_ago: 290,
        fate: Fate::Published,
    },
    Spec {
        title: "工业企业生态环境部门联合抽查",
        domain: Domain::Ecology,
        lead: "ecology",
        items: &["HB-001", "SW-001"],
        sections: &["C"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 260,
        fate: Fate::Published,
    },
    Spec {
        title: "道路货运经营者部门联合抽查",
        domain: Domain::Transport,
        lead: "transport",
        items: &["JT-001", "JJ-001"],
        sections: &["G"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 235,
        fate: Fate::Published,
    },
    Spec {
        title: "娱乐场所部门联合抽查",
        domain: Domain::Culture,
        lead: "cultenf",
        items: &["WZ-002", "GA-001"],
        sections: &["R"],
        quotas: [1, 2, 2, 2],
        teams: 2,
        starts_ago: 205,
        fate: Fate::Published,
    },
    Spec {
        title: "餐饮住宿场所部门联合抽查（已取消）",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-003", "WS-001"],
        sections: &["H"],
        quotas: [1, 2, 4, 3],
        teams: 2,
        starts_ago: 190,
        fate: Fate::Cancelled,
    },
    Spec {
        title: "餐饮住宿场所部门联合抽查",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-003", "WS-001"],
        sections: &["H"],
        quotas: [1, 2, 4, 3],
        teams: 2,
        starts_ago: 180,
        fate: Fate::Published,
    },
    Spec {
        title: "种子种苗生产经营部门联合抽查",
        domain: Domain::Agriculture,
        lead: "agri",
        items: &["NY-002", "LC-001"],
        sections: &["A"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 150,
        fate: Fate::Published,
    },
    Spec {
        title: "建设项目和矿产资源部门联合抽查",
        domain: Domain::Ecology,
        lead: "ecology",
        items: &["HB-002", "ZR-001"],
        sections: &["C", "E"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 125,
        fate: Fate::Published,
    },
    Spec {
        title: "互联网上网服务营业场所部门联合抽查",
        domain: Domain::Culture,
        lead: "cultenf",
        items: &["WZ-001", "GA-001"],
        sections: &["R"],
        quotas: [1, 2, 2, 2],
        teams: 2,
        starts_ago: 100,
        fate: Fate::Published,
    },
    Spec {
        title: "道路运输企业安全生产部门联合抽查",
        domain: Domain::Transport,
        lead: "transport",
        items: &["JT-001", "YJ-002"],
        sections: &["G"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 80,
        fate: Fate::Published,
    },
    Spec {
        title: "工贸企业安全生产部门联合抽查",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-004", "YJ-002"],
        sections: &["C"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 60,
        fate: Fate::Published,
    },
    Spec {
        title: "农资市场部门联合抽查",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-001", "NY-001"],
        sections: &["F"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: 40,
        fate: Fate::InReview,
    },
    Spec {
        title: "食品经营者部门联合抽查",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-003", "WS-001"],
        sections: &["F", "H"],
        quotas: [1, 3, 4, 3],
        teams: 3,
        starts_ago: 9,
        fate: Fate::Drawn,
    },
    Spec {
        title: "兽药经营部门联合抽查",
        domain: Domain::Agriculture,
        lead: "agri",
        items: &["NY-003", "SC-001"],
        sections: &["F"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: -12,
        fate: Fate::Sealed,
    },
    Spec {
        title: "商贸流通领域部门联合抽查（第二批）",
        domain: Domain::Market,
        lead: "amr",
        items: &["SC-001", "SC-002", "SC-005", "GS-001"],
        sections: &["F"],
        quotas: [1, 2, 3, 2],
        teams: 2,
        starts_ago: -20,
        fate: Fate::Draft,
    },
];

/// A declared tie: the `nth_inspector` of `department` and an entity picked by
/// position in the directory.
pub(super) struct Conflict {
    pub(super) department: &'static str,
    pub(super) nth_inspector: usize,
    pub(super) entity_request: bool,
    pub(super) reason: &'static str,
}

pub(super) const CONFLICTS: &[Conflict] = &[
    Conflict {
        department: "amr",
        nth_inspector: 1,
        entity_request: false,
        reason: "配偶在该企业任财务负责人",
    },
    Conflict {
        department: "agri",
        nth_inspector: 0,
        entity_request: false,
        reason: "本人胞兄为该主体的经营者",
    },
    Conflict {
        department: "amr",
        nth_inspector: 3,
        entity_request: true,
        reason: "该主体以该执法人员曾参与对其作出行政处罚、可能影响公正为由申请回避，经审查同意",
    },
    Conflict {
        department: "health",
        nth_inspector: 0,
        entity_request: false,
        reason: "曾在该企业持股，转让未满三年",
    },
];

pub(super) struct Targeted {
    pub(super) department: &'static str,
    pub(super) source: TargetedSource,
    pub(super) document: &'static str,
    pub(super) items: &'static [&'static str],
    pub(super) findings: &'static str,
    pub(super) days_ago: i64,
    /// Part of the name of the kind of business inspected.
    pub(super) kind: &'static str,
    /// Which of those (the n-th in the directory).
    pub(super) nth: usize,
}

pub(super) const TARGETED: &[Targeted] = &[
    Targeted {
        department: "amr",
        source: TargetedSource::Complaint,
        document: "牟市监投〔{year}〕17号",
        items: &["SC-003"],
        findings: "群众投诉售卖过期食品，现场检查发现过期饮料 6 瓶，已责令下架并立案调查。",
        days_ago: 230,
        kind: "食品店",
        nth: 11,
    },
    Targeted {
        department: "agri",
        source: TargetedSource::Referral,
        document: "州农转〔{year}〕5号",
        items: &["NY-001"],
        findings: "州农业农村局转办线索，核查农药经营台账，未发现问题。",
        days_ago: 160,
        kind: "农资",
        nth: 4,
    },
    Targeted {
        department: "amr",
        source: TargetedSource::DataLead,
        document: "牟市监数〔{year}〕3号",
        items: &["SC-002"],
        findings: "年报数据异常线索，核查后发现年报资产数据填报错误，已指导更正。",
        days_ago: 60,
        kind: "有限公司",
        nth: 23,
    },
    Targeted {
        department: "amr",
        source: TargetedSource::Licensing,
        document: "牟市监食许受〔{year}〕42号",
        items: &["SC-003"],
        findings: "食品经营许可（变更经营场所）现场核查，场所布局、设施设备与申请材料一致，未发现问题。",
        days_ago: 25,
        kind: "食品店",
        nth: 5,
    },
];

/// The result of one item at the `j`-th visit of task `i`: most find nothing; a
/// few find a problem that was put right, one that needs a case, an entity that
/// cannot be reached at its address, one that did not cooperate.
pub(super) fn outcome(
    i: usize,
    j: usize,
    item: &str,
    lead_item: bool,
) -> (Vec<ResultCategory>, String) {
    use ResultCategory::*;
    let none = (vec![NoProblem], String::new());
    if i == 0 && j == 4 {
        return (
            vec![Obstructed],
            "经营者拒绝检查人员进入经营场所，拒不提供相关资料。".into(),
        );
    }
    let h = (i * 7 + j * 3) % 17;
    match h {
        0 if lead_item => (
            vec![Corrected],
            "现场发现经营场所未按规定公示相关证照，已当场责令改正。".into(),
        ),
        5 => (
            vec![Unreachable],
            "按登记的住所实地核查，无该经营主体，电话无人接听。".into(),
        ),
        9 if item == "SC-002" => (
            vec![NotDisclosed],
            "未按规定报送并公示上一年度年度报告。".into(),
        ),
        12 if !lead_item => (
            vec![PendingAction],
            "现场发现涉嫌违法行为，已提取证据，待立案调查。".into(),
        ),
        14 => (vec![NoActivity], String::new()),
        _ => none,
    }
}
