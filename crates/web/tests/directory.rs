//! The directories kept on their records' pages, on both engines: the market
//! regulator deregisters an entity and names its contact, with a reason that the
//! entity's history shows, and the next task's plan no longer holds it; a
//! department corrects its own inspectors only; a refused or stale form changes
//! nothing; the lists are searched and exported in the import template's columns;
//! another county's records do not exist for a county's accounts.

use liancha_domain::{EntityStatus, EntityType, InspectorStatus};
use liancha_store::Engine;
use liancha_store::demo::DemoSize;
use liancha_store::directories::EntityFilter;

mod common;

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;

async fn records_kept_on_their_pages(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let amr = srv.login("amr-admin", PASSWORD).await.unwrap();
    let agri = srv.login("agri-admin", PASSWORD).await.unwrap();
    let nh = srv.login("nh-admin", PASSWORD).await.unwrap();

    let enterprises: Vec<_> = mouding
        .entities(
            &EntityFilter {
                entity_type: Some(EntityType::Enterprise),
                status: Some(EntityStatus::Active),
                ..EntityFilter::default()
            },
            0,
            100,
        )
        .await
        .unwrap()
        .rows;
    let (target, other) = (&enterprises[0], &enterprises[1]);
    let path = format!("/staff/entities/{}", target.id);
    // As an import may leave them: a licence listed twice, kept as it was.
    let mut doubled = target.clone();
    doubled.tags = vec!["食品经营许可证".into(), "食品经营许可证".into()];
    mouding.put_entities(&[doubled]).await.unwrap();
    let target = &mouding.entity(&target.id).await.unwrap().unwrap();

    // The list: searched by part of the name, by status; every county account reads it.
    let (status, page) = srv.get(&agri.cookie, "/staff/entities?status=active").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&target.name), "{page}");
    let (_, page) = srv
        .get(&agri.cookie, "/staff/entities?status=deregistered")
        .await;
    assert!(!page.contains(&target.name), "{page}");
    // Unknown filter values are ignored, not an error page.
    let (status, _) = srv
        .get(
            &agri.cookie,
            "/staff/entities?status=x&sort=y&page=-4&tag=%25",
        )
        .await;
    assert_eq!(status, 200);
    // Another department reads the record but has no form to change it.
    let (status, page) = srv.get(&agri.cookie, &path).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&target.name) && !page.contains("保存修改"),
        "{page}"
    );

    let was = [
        ("was_status", "active"),
        ("was_risk_class", target.risk_class.code()),
        ("was_tags", &target.tags.join("\n")),
        ("was_contact_name", ""),
        ("was_contact_phone", ""),
    ];
    let tags = target.tags.join("\n");
    let form = |status: &'static str, reason: &'static str, phone: &'static str| {
        let mut f: Vec<(&str, &str)> = vec![
            ("status", status),
            ("risk_class", target.risk_class.code()),
            ("tags", &tags),
            ("contact_name", "王芳"),
            ("contact_phone", phone),
            ("reason", reason),
        ];
        f.extend(was.iter().map(|(k, v)| (*k, *v)));
        f
    };
    let unchanged = mouding.entity_details(&target.id).await.unwrap();

    // Refused: another department; a reason that says nothing; a phone that is not one.
    let (status, _) = srv
        .post(
            &agri,
            &path,
            &form("deregistered", "注销公告", "0878-5211234"),
        )
        .await;
    assert_eq!(status, 403);
    let (status, page) = srv
        .post(&amr, &path, &form("deregistered", " ", "0878-5211234"))
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        common::field_error(&page, "reason").is_some_and(|m| m.contains("修改原因")),
        "{page}"
    );
    assert!(
        page.contains("value=\"王芳\""),
        "what was typed is kept: {page}"
    );
    let (status, page) = srv
        .post(&amr, &path, &form("deregistered", "注销公告", "call me"))
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        common::field_error(&page, "contact_phone").is_some(),
        "{page}"
    );
    // Another county's account: the record does not exist for it.
    let (status, _) = srv.get(&nh.cookie, &path).await;
    assert_eq!(status, 404);
    let (status, _) = srv
        .post(&nh, &path, &form("deregistered", "注销公告", ""))
        .await;
    assert_eq!(status, 404);
    assert_eq!(mouding.entity_details(&target.id).await.unwrap(), unchanged);

    // Accepted: deregistered, its contact named, the reason in its history.
    let (status, page) = srv
        .post(
            &amr,
            &path,
            &form("deregistered", "2026年11月20日注销登记公告", "0878-5211234"),
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let (entity, details) = mouding.entity_details(&target.id).await.unwrap().unwrap();
    assert_eq!(entity.status, EntityStatus::Deregistered);
    assert_eq!(
        (
            details.contact_name.as_str(),
            details.contact_phone.as_str()
        ),
        ("王芳", "0878-5211234")
    );
    let (_, page) = srv.get(&agri.cookie, &path).await;
    assert!(page.contains("2026年11月20日注销登记公告"), "{page}");
    assert!(page.contains("<del>存续</del> → <ins>注销</ins>"), "{page}");
    // The contact is staff-only: the public page does not show it.
    let (_, public) = srv
        .get("", &format!("/c/532323/entities/{}", target.id))
        .await;
    assert!(public.contains(&target.name));
    assert!(!public.contains("0878-5211234") && !public.contains("王芳"));
    // The same old page posted again (the entity as it was): refused as stale, 409,
    // and the page comes back carrying the entity as it is now, so that the clerk,
    // having looked, saves again.
    let (status, page) = srv
        .post(&amr, &path, &form("revoked", "吊销决定书", ""))
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("已被他人修改"), "{page}");
    assert_eq!(
        mouding.entity(&target.id).await.unwrap().unwrap().status,
        EntityStatus::Deregistered
    );
    assert!(
        page.contains("name=\"was_status\" value=\"deregistered\""),
        "{page}"
    );
    let mut again: Vec<(&str, &str)> = form("revoked", "吊销决定书", "")
        .into_iter()
        .filter(|(k, _)| !k.starts_with("was_"))
        .collect();
    again.extend([
        ("was_status", "deregistered"),
        ("was_contact_name", "王芳"),
        ("was_contact_phone", "0878-5211234"),
        ("was_risk_class", target.risk_class.code()),
        ("was_tags", "食品经营许可证"),
    ]);
    let (status, page) = srv.post(&amr, &path, &again).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(
        mouding.entity(&target.id).await.unwrap().unwrap().status,
        EntityStatus::Revoked
    );

    // Exported as the filter selects it, in the import template's columns.
    let (status, _, body) = srv
        .get_bytes(
            &agri.cookie,
            "/staff/entities/export?status=revoked&format=xlsx",
        )
        .await;
    assert_eq!(status, 200);
    let rows = common::xlsx_rows(&body);
    assert_eq!(rows[0][0], liancha_domain::rows::ENTITY_COLUMNS[0].header);
    assert!(rows.iter().any(|r| r.contains(&target.id)));
    assert!(!rows.iter().any(|r| r.contains(&other.id)));
    let (status, _, body) = srv
        .get_bytes(&agri.cookie, "/staff/entities/export?format=csv")
        .await;
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains(&target.id) && text.contains(&other.id));

    // The next task's plan does not hold the deregistered entity.
    let (task, _) =
        liancha_store::testing::county_wide_task(&store, &mouding, "bianban", "amr-admin").await;
    let (status, plan) = srv
        .get(&amr.cookie, &format!("/staff/tasks/{task}/plan.json"))
        .await;
    assert_eq!(status, 200, "{plan}");
    assert!(
        plan.contains(&other.id),
        "an operating enterprise is in the plan"
    );
    assert!(!plan.contains(&target.id), "the deregistered one is not");

    // Inspectors: a department corrects its own, not another's.
    let own = mouding.inspectors(Some("agri")).await.unwrap().remove(0);
    let theirs = mouding.inspectors(Some("amr")).await.unwrap().remove(0);
    let inspector_form = |i: &liancha_domain::Inspector| {
        vec![
            ("status".to_string(), "on-leave".to_string()),
            ("certificate_no".into(), i.certificate_no.clone()),
            ("certificate_valid_until".into(), "2029-06-30".into()),
            ("specialties".into(), "农药\n种子".into()),
            ("phone".into(), String::new()),
            ("reason".into(), "换发执法证，休产假".into()),
            ("was_status".into(), i.status.code().into()),
            ("was_certificate_no".into(), i.certificate_no.clone()),
            (
                "was_certificate_valid_until".into(),
                i.certificate_valid_until.to_string(),
            ),
            ("was_specialties".into(), i.specialties.join("\n")),
            ("was_phone".into(), i.phone.clone().unwrap_or_default()),
        ]
    };
    let post = async |who: &common::Session, i: &liancha_domain::Inspector| {
        let f = inspector_form(i);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        srv.post(who, &format!("/staff/inspectors/{}", i.id), &pairs)
            .await
    };
    let (status, _) = post(&agri, &theirs).await;
    assert_eq!(status, 403);
    assert_eq!(
        mouding.inspector(&theirs.id).await.unwrap().unwrap(),
        theirs
    );
    let (status, page) = post(&agri, &own).await;
    assert_eq!(status, 303, "{page}");
    let now = mouding.inspector(&own.id).await.unwrap().unwrap();
    assert_eq!(now.status, InspectorStatus::OnLeave);
    assert_eq!(now.specialties, ["农药", "种子"]);
    assert_eq!(now.certificate_valid_until.to_string(), "2029-06-30");
    let (_, page) = srv
        .get(&amr.cookie, &format!("/staff/inspectors/{}", own.id))
        .await;
    assert!(page.contains("换发执法证，休产假") && !page.contains("保存修改"));
    let (status, page) = srv
        .get(&amr.cookie, "/staff/inspectors?status=on-leave")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(&own.name), "{page}");
    let (status, _, body) = srv
        .get_bytes(&amr.cookie, "/staff/inspectors/export?format=xlsx")
        .await;
    assert_eq!(status, 200);
    assert!(common::xlsx_rows(&body).iter().any(|r| r.contains(&own.id)));
    // Inspectors' phones are for those who read their contacts: not oversight.
    let duchashi = srv.login("duchashi", PASSWORD).await.unwrap();
    let (status, _, _) = srv
        .get_bytes(&duchashi.cookie, "/staff/inspectors/export?format=csv")
        .await;
    assert_eq!(status, 403);
    let phone = own.phone.as_ref().expect("demo inspectors have a phone");
    {
        let (status, page) = srv
            .get(&duchashi.cookie, &format!("/staff/inspectors/{}", own.id))
            .await;
        assert_eq!(status, 200);
        assert!(!page.contains(phone.as_str()), "{page}");
        let (_, page) = srv
            .get(&agri.cookie, &format!("/staff/inspectors/{}", own.id))
            .await;
        assert!(page.contains(phone.as_str()), "{page}");
    }

    // Both edits are in the county's audit log with their reasons.
    let admin = srv.login("admin", PASSWORD).await.unwrap();
    let (_, log) = srv.get(&admin.cookie, "/staff/audit?what=entity.").await;
    assert!(log.contains("修改检查对象信息") && log.contains("2026年11月20日注销登记公告"));
    let (_, log) = srv.get(&admin.cookie, "/staff/audit?what=inspector.").await;
    assert!(log.contains("修改执法人员信息") && log.contains("换发执法证，休产假"));
}

#[tokio::test]
async fn records_kept_on_their_pages_sqlite() {
    records_kept_on_their_pages(Engine::Sqlite).await;
}

#[tokio::test]
async fn records_kept_on_their_pages_postgres() {
    records_kept_on_their_pages(Engine::Postgres).await;
}
