//! Loaders: each list whole, in a stable order, for the JSON pages and the downloads.

use super::*;

pub(super) async fn load_items(s: &AppState, q: &Params) -> ApiResult<Vec<ItemOut>> {
    let on = q.date("on")?;
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        let c = s.app.public_county(&county.code);
        let items = match on {
            Some(day) => c.items_as_published_on(day).await?,
            None => c.items(true).await?,
        };
        let names = Names::load(s, &county).await?;
        out.extend(
            items
                .into_iter()
                // Belt and braces: both queries return published items only.
                .filter(|i| i.published)
                .map(|i| item_out(i, &names)),
        );
    }
    Ok(out)
}

pub(super) async fn load_joint_lists(s: &AppState, q: &Params) -> ApiResult<Vec<JointListOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        let names = Names::load(s, &county).await?;
        out.extend(joint_lists_of(s, &county, &names).await?);
    }
    Ok(out)
}

pub(super) async fn joint_lists_of(
    s: &AppState,
    county: &Division,
    names: &Names,
) -> ApiResult<Vec<JointListOut>> {
    Ok(s.app
        .public_county(&county.code)
        .joint_item_lists(true)
        .await?
        .into_iter()
        .filter(|l| l.published)
        .map(|l| JointListOut {
            county: names.county(),
            domain: code_label!(l.domain),
            lead_department: names.dept(&l.lead_department),
            items: l.items.iter().map(|c| names.item(c)).collect(),
            code: l.code,
            name: l.name,
        })
        .collect())
}

pub(super) async fn load_rule_books(s: &AppState, q: &Params) -> ApiResult<Vec<RuleBookOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        out.extend(rule_books_of(s, &county).await?);
    }
    Ok(out)
}

pub(super) async fn rule_books_of(s: &AppState, county: &Division) -> ApiResult<Vec<RuleBookOut>> {
    use liancha_domain::RiskClass;
    let mut out = Vec::new();
    for d in Domain::ALL {
        let r = s.app.public_county(&county.code).rule_book(*d).await?;
        out.push(RuleBookOut {
            county: CountyRef {
                code: county.code.to_string(),
                name: county.name.clone(),
            },
            domain: code_label!(r.domain),
            ratios: RiskClass::ALL
                .iter()
                .map(|c| {
                    let bp = r.ratio_for(*c);
                    RiskRatio {
                        risk_class: code_label!(*c),
                        ratio_bp: bp,
                        ratio_percent: format!("{}.{:02}%", bp / 100, bp % 100),
                    }
                })
                .collect(),
            annual_cap: r.annual_cap,
            publication_deadline_days: r.publication_deadline_days,
            min_team_size: r.min_team_size,
            recuse_same_township: r.recuse_same_township,
        });
    }
    Ok(out)
}

pub(super) async fn load_plans(s: &AppState, q: &Params) -> ApiResult<Vec<PlanOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        out.extend(plans_of(s, &county).await?);
    }
    Ok(out)
}

pub(super) async fn plans_of(s: &AppState, county: &Division) -> ApiResult<Vec<PlanOut>> {
    let names = Names::load(s, county).await?;
    let published: BTreeSet<i64> = published_tasks(s, county)
        .await?
        .iter()
        .map(|t| t.id)
        .collect();
    Ok(s.app
        .public_county(&county.code)
        .annual_plans(None, true)
        .await?
        .into_iter()
        .filter(|p| p.published_at.is_some())
        .map(|p| PlanOut {
            county: names.county(),
            id: p.id,
            year: p.year,
            domain: code_label!(p.domain),
            lead_department: names.dept(&p.lead_department),
            departments: p.departments.iter().map(|d| names.dept(d)).collect(),
            published_at: time_opt(p.published_at),
            number: p.number,
            entries: p
                .entries
                .into_iter()
                .map(|e| PlanEntryOut {
                    month: e.month,
                    items: e.items.iter().map(|c| names.item(c)).collect(),
                    // Tasks made from the entry but not published are not public.
                    published_tasks: e
                        .tasks
                        .into_iter()
                        .filter(|t| published.contains(t))
                        .collect(),
                    title: e.title,
                    scope: e.scope,
                })
                .collect(),
            title: p.title,
        })
        .collect())
}

/// Published tasks of the counties asked for, newest first (ids grow in the whole
/// installation).
pub(super) async fn load_tasks(s: &AppState, q: &Params) -> ApiResult<Vec<TaskSummary>> {
    let mut out: Vec<TaskSummary> = Vec::new();
    for county in q.counties(s).await? {
        let names = Names::load(s, &county).await?;
        out.extend(
            published_tasks(s, &county)
                .await?
                .iter()
                .filter(|t| t.state == TaskState::Published)
                .map(|t| task_summary(t, &names)),
        );
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.id));
    Ok(out)
}

pub(super) async fn load_task_results(s: &AppState, id: &str) -> ApiResult<(Task, Vec<ResultOut>)> {
    let (county, task) = published_task(s, id).await?;
    let names = Names::load(s, &county).await?;
    let results = s
        .app
        .public_county(&county.code)
        .published_results_of_task(task.id)
        .await?
        .into_iter()
        .map(|r| result_out(r, &names))
        .collect();
    Ok((task, results))
}

/// Every published result about an entity, in every county it has been on record in.
pub(super) async fn load_entity_results(s: &AppState, id: &str) -> ApiResult<Vec<ResultOut>> {
    if s.app.public().entity_home(id).await?.is_none() {
        return Err(ApiError::not_found(format!("没有编号为 {id} 的检查对象")));
    }
    let mut names: BTreeMap<String, Names> = BTreeMap::new();
    let mut out = Vec::new();
    for r in s
        .app
        .public()
        .published_results_of_entity(&id.trim().to_ascii_uppercase())
        .await?
    {
        if !names.contains_key(&r.county) {
            names.insert(r.county.clone(), Names::of(s, &r.county).await?);
        }
        let n = &names[&r.county];
        out.push(result_out(r, n));
    }
    Ok(out)
}

pub(super) async fn load_listed(
    s: &AppState,
    q: &Params,
    list: CreditList,
) -> ApiResult<Vec<ListedEntityOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        let c = CountyRef {
            code: county.code.to_string(),
            name: county.name.clone(),
        };
        out.extend(
            s.app
                .public_county(&county.code)
                .listed_entities(list)
                .await?
                .into_iter()
                .map(|e| ListedEntityOut {
                    county: c.clone(),
                    entity_id: e.id,
                    name: e.name,
                    township: e.township,
                    listed_on: e.listed_on.map(|d| d.to_string()),
                }),
        );
    }
    Ok(out)
}
