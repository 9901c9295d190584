//! The fixed wording of the documents given to an inspected entity (检查通知书):
//! its rights and what to prepare, as the HTML page and the PDF file both say them.

use crate::InspectionMethod;

/// The entity's rights in an inspection (国办发〔2024〕54号; 《行政处罚法》 §55
/// (certificates), §43 (recusal), §45 (statement and defence); 《行政复议法》): said
/// on every notice.
pub const RIGHTS: &[&str] = &[
    "检查人员少于两人或者未出示执法证件的，你单位有权拒绝检查；",
    "认为检查人员与你单位有直接利害关系或者其他关系、可能影响公正检查的，有权申请其回避；",
    "对检查中发现的问题，有权进行陈述和申辩，检查人员应当听取并记录；",
    "对检查结果有异议的，可以向实施检查的部门陈述、申辩；对依据检查结果作出的行政处理决定不服的，可以依法申请行政复议或者提起行政诉讼。",
];

/// Chinese ordinals for the rights' marks: （一）…
pub fn ordinal_mark(n: usize) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let word = match n {
        1..=9 => DIGITS[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        _ => n.to_string(),
    };
    format!("（{word}）")
}

/// What the entity prepares, from how the task's items are checked: the licences
/// always, records for a documentary check, the premises for an on-site one, the
/// goods for sampling, and someone in charge present.
pub fn materials(methods: &[InspectionMethod]) -> Vec<String> {
    let mut out = vec!["营业执照（或者其他主体资格证明）和与检查事项有关的许可证件；".to_string()];
    let has = |m: InspectionMethod| methods.contains(&m);
    if has(InspectionMethod::Documentary) || has(InspectionMethod::OnlineMonitoring) {
        out.push("与检查事项有关的台账、票据、合同、记录等资料（原件及复印件）；".into());
    }
    if has(InspectionMethod::OnSite) {
        out.push("经营（生产）场所、设施设备保持正常状态，便于现场检查；".into());
    }
    if has(InspectionMethod::Testing) {
        out.push("抽样检验涉及的产品及其进货查验记录；".into());
    }
    out.push("法定代表人（负责人）或者其委托的人员到场配合；委托他人的，请出具授权委托书。".into());
    out
}

/// What a 检查结果告知书 says the entity may do about its result: object to the
/// department that checked the item (each department answers for its own).
pub fn result_remedy() -> String {
    "你单位对检查结果有异议的，可以自收到本告知书之日起，向上表所列实施检查的部门提出陈述、申辩，并提供相关证据；对依据检查结果作出的行政处理决定不服的，可以依法申请行政复议或者提起行政诉讼。".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_count_in_chinese() {
        assert_eq!(ordinal_mark(1), "（一）");
        assert_eq!(ordinal_mark(4), "（四）");
        assert_eq!(ordinal_mark(10), "（十）");
        assert_eq!(ordinal_mark(12), "（十二）");
    }

    #[test]
    fn materials_follow_the_methods() {
        let on_site = materials(&[InspectionMethod::OnSite]);
        assert_eq!(on_site.len(), 3);
        assert!(on_site[1].contains("现场"));
        let all = materials(InspectionMethod::ALL);
        assert!(all.iter().any(|m| m.contains("台账")));
        assert!(all.iter().any(|m| m.contains("抽样")));
        assert!(all.last().unwrap().contains("到场"));
    }
}
