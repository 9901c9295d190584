//! Records written back as cells, in their columns' order, for export: a file
//! exported can be edited and imported back unchanged.

use super::*;

fn join<T: Copy>(xs: &[T], label: fn(T) -> &'static str) -> String {
    xs.iter().map(|x| label(*x)).collect::<Vec<_>>().join("、")
}

/// The cells of an entity in [`ENTITY_COLUMNS`] order, for export.
pub fn entity_cells(e: &Entity) -> Vec<String> {
    vec![
        e.uscc.as_ref().map(|u| u.to_string()).unwrap_or_default(),
        e.reg_no.clone(),
        e.name.clone(),
        e.entity_type.label().into(),
        e.industry
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default(),
        e.township.clone(),
        e.address.clone(),
        e.legal_rep.clone(),
        e.registered_on.map(|d| d.to_string()).unwrap_or_default(),
        e.status.label().into(),
        e.risk_class.code().into(),
        bool_label(e.abnormal).into(),
        bool_label(e.blacklisted).into(),
        e.tags.join("、"),
    ]
}

/// The cells of an inspector in [`INSPECTOR_COLUMNS`] order; `department_name` maps a code to its name.
pub fn inspector_cells(i: &Inspector, department_name: &str) -> Vec<String> {
    vec![
        i.id.clone(),
        i.name.clone(),
        department_name.into(),
        i.certificate_no.clone(),
        i.certificate_valid_until.to_string(),
        i.specialties.join("、"),
        i.township.clone().unwrap_or_default(),
        i.status.label().into(),
        i.phone.clone().unwrap_or_default(),
    ]
}

/// `department_names` names any department by code: the responsible one and the
/// cooperating ones are written as clerks know them.
pub fn item_cells(i: &Item, department_names: &dyn Fn(&str) -> String) -> Vec<String> {
    vec![
        i.code.clone(),
        i.name.clone(),
        i.legal_basis.clone(),
        department_names(&i.department),
        i.content.clone(),
        join(&i.methods, InspectionMethod::label),
        i.authority.clone(),
        join(&i.entity_types, EntityType::label),
        i.specialty.clone().unwrap_or_default(),
        i.category.label().into(),
        i.ratio_bp
            .map(|bp| format!("{}%", crate::setup_rows::bp_percent(bp)))
            .unwrap_or_default(),
        i.frequency.map(|n| n.to_string()).unwrap_or_default(),
        i.cooperating
            .iter()
            .map(|c| department_names(c))
            .collect::<Vec<_>>()
            .join("、"),
        i.national_code.clone().unwrap_or_default(),
        if i.published { "已发布" } else { "草稿" }.into(),
    ]
}
