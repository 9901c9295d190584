//! 上报: every published inspection result, one record per visit and item, in the
//! columns the national enterprise credit publicity system shows for 双随机抽查结果信息
//! (抽查计划、抽查任务、抽查类型、抽查机关、检查事项、检查结果、完成日期 and the
//! entity's 统一社会信用代码), for the provincial 协同监管平台.
//!
//! A record's key (`record_id`) never changes and its `version` is the time it last
//! changed (published, or corrected later): the platform upserts by key, so sending
//! a record again — an export repeated, or windows that overlap — changes nothing.
//! The columns are described in `docs/upward/results-v1.schema.json`; a test holds the
//! two together.

use serde::Serialize;

use crate::labelled_enum;

labelled_enum! {
    /// 抽查类型: drawn from the whole directory (不定向), or from part of it — a
    /// township, a type, an industry, a risk class, a licence (定向).
    pub enum SamplingType {
        Directed = ("directed", "定向"),
        Undirected = ("undirected", "不定向"),
    }
}

/// One published result of one item of one visit, as reported upward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpwardRecord {
    pub record_id: String,
    pub version: String,
    pub division_code: String,
    pub plan_number: String,
    pub plan_name: String,
    pub task_number: String,
    pub task_name: String,
    pub sampling_type: String,
    pub authority: String,
    pub uscc: String,
    pub entity_name: String,
    pub item_code: String,
    pub item_name: String,
    pub result_codes: Vec<String>,
    pub result: String,
    pub completed_on: String,
    pub published_on: String,
    pub correction: String,
}

/// The columns of the CSV and XLSX files: the JSON key and its Chinese title, in
/// order (the schema file's `x-columns`).
pub const COLUMNS: &[(&str, &str)] = &[
    ("record_id", "记录标识"),
    ("version", "记录版本"),
    ("division_code", "行政区划代码"),
    ("plan_number", "抽查计划编号"),
    ("plan_name", "抽查计划名称"),
    ("task_number", "抽查任务编号"),
    ("task_name", "抽查任务名称"),
    ("sampling_type", "抽查类型"),
    ("authority", "抽查机关"),
    ("uscc", "统一社会信用代码"),
    ("entity_name", "企业名称"),
    ("item_code", "检查事项编码"),
    ("item_name", "检查事项"),
    ("result_codes", "检查结果代码"),
    ("result", "检查结果"),
    ("completed_on", "完成日期"),
    ("published_on", "公示日期"),
    ("correction", "更正说明"),
];

/// The titles of [`COLUMNS`], as the files' header row.
pub const TITLES: &[&str] = &[
    "记录标识",
    "记录版本",
    "行政区划代码",
    "抽查计划编号",
    "抽查计划名称",
    "抽查任务编号",
    "抽查任务名称",
    "抽查类型",
    "抽查机关",
    "统一社会信用代码",
    "企业名称",
    "检查事项编码",
    "检查事项",
    "检查结果代码",
    "检查结果",
    "完成日期",
    "公示日期",
    "更正说明",
];

impl UpwardRecord {
    /// The record's key: county, task, entity and item, which never change.
    pub fn key(division: &str, task: i64, entity: &str, item: &str) -> String {
        format!("{division}-{task}-{entity}-{item}")
    }

    /// The record as a row of the CSV and XLSX files, in [`COLUMNS`]' order (codes
    /// joined by commas).
    pub fn row(&self) -> Vec<String> {
        vec![
            self.record_id.clone(),
            self.version.clone(),
            self.division_code.clone(),
            self.plan_number.clone(),
            self.plan_name.clone(),
            self.task_number.clone(),
            self.task_name.clone(),
            self.sampling_type.clone(),
            self.authority.clone(),
            self.uscc.clone(),
            self.entity_name.clone(),
            self.item_code.clone(),
            self.item_name.clone(),
            self.result_codes.join(","),
            self.result.clone(),
            self.completed_on.clone(),
            self.published_on.clone(),
            self.correction.clone(),
        ]
    }
}

labelled_enum! {
    /// The files an export is written as.
    pub enum UpwardFormat {
        Json = ("json", "JSON"),
        Xlsx = ("xlsx", "Excel（XLSX）"),
        Csv = ("csv", "CSV"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_follows_the_columns() {
        let r = UpwardRecord {
            record_id: UpwardRecord::key("532323", 7, "91532323MA6K0000X0", "SC-001"),
            version: "2026-12-07T08:00:00Z".into(),
            division_code: "532323".into(),
            plan_number: String::new(),
            plan_name: String::new(),
            task_number: "牟市监抽〔2026〕3号".into(),
            task_name: "联合抽查".into(),
            sampling_type: SamplingType::Undirected.label().into(),
            authority: "牟定县市场监督管理局".into(),
            uscc: "91532323MA6K0000X0".into(),
            entity_name: "某公司".into(),
            item_code: "SC-001".into(),
            item_name: "营业执照检查".into(),
            result_codes: vec!["none".into()],
            result: "未发现问题".into(),
            completed_on: "2026-12-01".into(),
            published_on: "2026-12-07".into(),
            correction: String::new(),
        };
        assert_eq!(r.record_id, "532323-7-91532323MA6K0000X0-SC-001");
        assert_eq!(r.row().len(), COLUMNS.len());
        assert_eq!(TITLES, COLUMNS.iter().map(|(_, t)| *t).collect::<Vec<_>>());
        let json = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut columns: Vec<&str> = COLUMNS.iter().map(|(k, _)| *k).collect();
        columns.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, columns, "every field is a column");
    }
}
