//! `liancha demo` and `serve --demo`: the demo prefecture, its accounts and its
//! county's year.

use anyhow::Context;
use liancha_store::Store;
use liancha_store::demo::{self, DemoSize};

use crate::progress::progress_bar;

pub(crate) async fn load_demo(store: &Store) -> anyhow::Result<()> {
    let size = DemoSize::COUNTY;
    let bar = progress_bar(
        (size.legal_persons + size.individuals) as u64,
        "载入演示数据",
    );
    let today = liancha_domain::calendar::today_in_china();
    let opened = liancha_app::demo::opened(today);
    demo::load_at(store, size, opened, &|done, _| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let mouding = demo::counties()
        .into_iter()
        .next()
        .context("the demo has a county")?;
    let mut accounts = demo::accounts_with(store, opened, std::slice::from_ref(&mouding)).await?;
    // The county's year: published tasks, follow-ups, listings, tasks in every state,
    // played by its accounts up to yesterday, so every page shows what it is for.
    let year = liancha_app::demo::year(&liancha_app::App::new(store.clone()), &mouding, today)
        .await
        .map_err(|e| anyhow::anyhow!("演示县的年度工作未能载入：{e}"))?;
    for county in demo::counties() {
        let c = store.county(&county).counts().await?;
        let name = store
            .division(&county)
            .await?
            .map(|d| d.name)
            .unwrap_or_default();
        println!(
            "演示县 {name} 已载入：{} 个乡镇、{} 个部门、{} 户检查对象（法人 {} 户）、{} 名执法人员、{} 项抽查事项",
            c.townships, c.departments, c.entities, c.legal_person_entities, c.inspectors, c.items
        );
    }
    println!(
        "演示县一年的工作：{} 个联合抽查任务（{} 个已公示），{} 户次检查结果，{} 件后续处置，{} 次列入信用名单，{} 次定向检查",
        year.tasks, year.published, year.visits, year.follow_ups, year.listings, year.targeted
    );
    if let Some(inspector) = year.inspector.clone() {
        // Beside the county's other department accounts, as `accounts` lists them.
        let at = accounts
            .iter()
            .position(|a| a.username == "agri-admin")
            .map_or(accounts.len(), |i| i + 1);
        accounts.insert(at, inspector);
    }
    print_demo_accounts(&accounts);
    if !year.department_admins.is_empty() {
        println!(
            "  各部门管理员、负责人（{}）：{}",
            demo::DEMO_PASSWORD,
            year.department_admins.join("、")
        );
    }
    Ok(())
}

/// Whether the demo's counties are still empty.
pub(crate) async fn demo_empty(store: &Store) -> anyhow::Result<bool> {
    for county in demo::counties() {
        if store.county(&county).counts().await?.entities > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(crate) fn print_demo_accounts(accounts: &[demo::DemoAccount]) {
    if accounts.is_empty() {
        return;
    }
    println!("演示账号（密码均为 {}）：", demo::DEMO_PASSWORD);
    for a in accounts {
        println!(
            "  {:<16} {} {}（{}）",
            a.username, a.division, a.role_label, a.who
        );
    }
}
