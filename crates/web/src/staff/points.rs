//! Check points (检查要点) as the result form and the printed record form ask them.

use liancha_domain::check_points::{CheckPoint, questions};

use liancha_store::tasks::Task;

use super::Names;

/// One question as a page shows it.
pub struct QuestionView {
    pub code: String,
    pub content: String,
    pub method: &'static str,
    /// The departments whose items ask it (joined with 、).
    pub departments: String,
    /// Whether several items share it.
    pub shared: bool,
    /// Each item's clause and wording, `(department, clause, pass, fail)`.
    pub citations: Vec<(String, String)>,
}

/// The questions over `items` (in `task`'s order), each point code once.
pub fn question_views(
    task: &Task,
    items: &[String],
    points: &[CheckPoint],
    names: &Names,
) -> Vec<QuestionView> {
    let department_of = |item: &str| {
        task.items
            .iter()
            .find(|i| i.code == item)
            .map_or_else(String::new, |i| names.dept(&i.department))
    };
    questions(items, points)
        .into_iter()
        .map(|q| {
            let mut departments: Vec<String> = Vec::new();
            for p in &q.points {
                let d = department_of(&p.item);
                if !departments.contains(&d) {
                    departments.push(d);
                }
            }
            QuestionView {
                code: q.code.to_string(),
                content: q.content.to_string(),
                method: q.method.label(),
                departments: departments.join("、"),
                shared: q.shared(),
                citations: q
                    .points
                    .iter()
                    .map(|p| (department_of(&p.item), p.clause.clone()))
                    .collect(),
            }
        })
        .collect()
}
