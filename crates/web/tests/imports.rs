//! 名录导入 on the web, on both engines: the market regulator uploads the entity
//! directory, reads what it would do (new, changed field by field, unchanged) before
//! anything is written, and confirms; a file with problems lists them by row and
//! column and writes nothing; a department imports only its own inspectors and
//! items; an upload is its uploader's alone and imports once.

use liancha_domain::rows::{self, Column};
use liancha_store::Engine;
use liancha_store::demo::DemoSize;
use liancha_store::directories::EntityFilter;

mod common;

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;

/// A CSV of `columns`' headers and `rows`, every cell quoted.
fn csv(columns: &[Column], rows: &[Vec<String>]) -> Vec<u8> {
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = line(columns.iter().map(|c| c.header.to_string()).collect());
    for r in rows {
        out.push_str("\r\n");
        out.push_str(&line(r.clone()));
    }
    out.into_bytes()
}

/// The token of the preview's confirmation form.
fn token(page: &str) -> String {
    let at = page
        .find("action=\"/staff/import/")
        .unwrap_or_else(|| panic!("a confirmation form: {page}"));
    page[at + "action=\"/staff/import/".len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn directories_imported_on_the_web(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let amr = srv.login("amr-admin", PASSWORD).await.unwrap();
    let agri = srv.login("agri-admin", PASSWORD).await.unwrap();

    // Who sees what: the market regulator keeps the entity directory; another
    // department only its own lists; the oversight office imports nothing.
    let (status, page) = srv.get(&amr.cookie, "/staff/import").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("检查对象名录") && page.contains("执法人员名录"));
    let (_, page) = srv.get(&agri.cookie, "/staff/import").await;
    assert!(!page.contains("value=\"entities\""), "{page}");
    assert!(page.contains("value=\"inspectors\""));
    let duchashi = srv.login("duchashi", PASSWORD).await.unwrap();
    assert_eq!(srv.get(&duchashi.cookie, "/staff/import").await.0, 403);
    let (status, kind, bytes) = srv
        .get_bytes(&amr.cookie, "/staff/import/template/entities.xlsx")
        .await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    assert!(bytes.starts_with(b"PK"), "an XLSX file");

    // A file: one entity changed (its address), one as it is, one new.
    let all = mouding
        .entities(&EntityFilter::default(), 0, 100)
        .await
        .unwrap()
        .rows;
    let (changed, same) = (&all[0], &all[1]);
    let mut moved = rows::entity_cells(changed);
    let address = rows::ENTITY_COLUMNS
        .iter()
        .position(|c| c.key == "address")
        .unwrap();
    moved[address] = "牟定县共和镇新建路 8 号".into();
    // A new 个体工商户 without a code, known by its registration number.
    let shop = all
        .iter()
        .find(|e| e.entity_type == liancha_domain::EntityType::IndividualBusiness)
        .expect("the demo has individual businesses");
    let mut new = rows::entity_cells(shop);
    new[0] = String::new();
    new[1] = "532323600099999".into();
    new[rows::ENTITY_COLUMNS
        .iter()
        .position(|c| c.key == "name")
        .unwrap()] = "牟定县共和镇新开张小吃店".into();
    let file = csv(
        rows::ENTITY_COLUMNS,
        &[moved.clone(), rows::entity_cells(same), new],
    );
    let (status, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "entities")],
            ("名录.csv", &file),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("检查对象名录（名录.csv）"),
        "the clerk's file, by its name"
    );
    for shown in [
        "<dt>新增</dt><dd>1</dd>",
        "<dt>内容改变</dt><dd>1</dd>",
        "<dt>内容不变</dt><dd>1（不会改动）</dd>",
        "牟定县共和镇新建路 8 号",
        &changed.name,
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    // Nothing is written before the confirmation.
    assert_eq!(
        mouding.entity(&changed.id).await.unwrap().unwrap(),
        *changed
    );
    let before = mouding.counts().await.unwrap().entities;
    let t = token(&page);
    let confirm = format!("/staff/import/{t}");
    // Another account cannot use the upload, nor can it be imported unconfirmed.
    let (status, body) = srv.post(&agri, &confirm, &[("confirm", "yes")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("已过期或已导入"), "{body}");
    let (status, body) = srv.post(&amr, &confirm, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("请勾选确认"), "{body}");
    assert_eq!(mouding.counts().await.unwrap().entities, before);
    let (status, body) = srv
        .post(
            &amr,
            &confirm,
            &[("confirm", "yes"), ("new", "1"), ("changed", "1")],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(mouding.counts().await.unwrap().entities, before + 1);
    assert_eq!(
        mouding.entity(&changed.id).await.unwrap().unwrap().address,
        "牟定县共和镇新建路 8 号"
    );
    let (_, page) = srv
        .get(
            &amr.cookie,
            "/staff/import?kind=entities&done=imported&rows=3&added=1&updated=1",
        )
        .await;
    assert!(page.contains("已导入 3 行：新增 1，更新 1"), "{page}");
    // Once only: a second click finds the upload gone.
    let (status, body) = srv.post(&amr, &confirm, &[("confirm", "yes")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("已过期或已导入"), "{body}");
    let audit = mouding.audit_recent(5).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "directory.import" && a.username == "amr-admin"),
        "{audit:?}"
    );

    // The directory changed since the preview (here: the counts the clerk read are
    // not those of the file now): refused, nothing written.
    let again = csv(rows::ENTITY_COLUMNS, &[rows::entity_cells(same)]);
    let (_, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "entities")],
            ("名录.csv", &again),
        )
        .await;
    let (status, body) = srv
        .post(
            &amr,
            &format!("/staff/import/{}", token(&page)),
            &[("confirm", "yes"), ("new", "1"), ("changed", "0")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("名录在预览之后已有改动"), "{body}");
    // Credit flags change through credit decisions only, never by a file.
    let mut listed = rows::entity_cells(same);
    let abnormal = rows::ENTITY_COLUMNS
        .iter()
        .position(|c| c.key == "abnormal")
        .unwrap();
    listed[abnormal] = if same.abnormal { "否" } else { "是" }.into();
    let (status, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "entities")],
            ("名录.csv", &csv(rows::ENTITY_COLUMNS, &[listed])),
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("经营异常名录或严重违法失信名单标记"),
        "{page}"
    );
    assert!(page.contains(&same.name), "{page}");
    assert_eq!(mouding.entity(&same.id).await.unwrap().unwrap(), *same);

    // A file with problems: each by row and column, nothing written.
    let mut bad = rows::entity_cells(same);
    bad[rows::ENTITY_COLUMNS
        .iter()
        .position(|c| c.key == "township")
        .unwrap()] = "不存在镇".into();
    let (status, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "entities")],
            ("名录.csv", &csv(rows::ENTITY_COLUMNS, &[moved, bad])),
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("未能导入") && page.contains("第 3 行"),
        "{page}"
    );
    assert!(page.contains("不存在镇"), "{page}");
    assert!(!page.contains("确认导入"), "nothing to confirm");
    // The bad rows to correct in Excel: each with its problem and its row.
    let at = page.find("/errors.xlsx").expect("a link to the bad rows");
    let link = &page[page[..at].rfind('"').unwrap() + 1..at + "/errors.xlsx".len()];
    let (status, kind, bytes) = srv.get_bytes(&amr.cookie, link).await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("有问题的行").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "the header and the one bad row: {rows:?}");
    assert_eq!(rows[0].last().unwrap(), "原文件行号");
    assert!(
        rows[1]
            .iter()
            .any(|c| c.contains("不存在镇") && c.contains("乡镇")),
        "{rows:?}"
    );
    assert_eq!(rows[1].last().unwrap(), "3");
    // Only its uploader reads it, and it cannot be imported.
    assert_eq!(srv.get_bytes(&agri.cookie, link).await.0, 404);
    let refused_token = link
        .trim_start_matches("/staff/import/")
        .trim_end_matches("/errors.xlsx");
    let (status, body) = srv
        .post(
            &amr,
            &format!("/staff/import/{refused_token}"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("已过期或已导入"), "{body}");
    for (name, body, why) in [
        ("名录.pdf", &b"%PDF-1.4"[..], "只能导入 .xlsx 或 .csv"),
        ("名录.csv", &b""[..], "请选择要上传的文件"),
        ("名录.xlsx", &b"not a zip"[..], "无法读取文件"),
    ] {
        let (status, page) = srv
            .upload_to(&amr, "/staff/import", &[("kind", "entities")], (name, body))
            .await;
        assert_eq!(status, 422, "{name}: {page}");
        assert!(page.contains(why), "{name}: {page}");
    }
    assert_eq!(mouding.counts().await.unwrap().entities, before + 1);

    // A department imports its own inspectors only; the entity directory is not its.
    let amr_name = mouding
        .departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.code == "amr")
        .unwrap()
        .name;
    let amr_inspector = mouding.inspectors(Some("amr")).await.unwrap().remove(0);
    let file = csv(
        rows::INSPECTOR_COLUMNS,
        &[rows::inspector_cells(&amr_inspector, &amr_name)],
    );
    let (status, page) = srv
        .upload_to(
            &agri,
            "/staff/import",
            &[("kind", "inspectors")],
            ("人员.csv", &file),
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("文件中有属于其他部门"), "{page}");
    let (status, _) = srv
        .upload_to(
            &agri,
            "/staff/import",
            &[("kind", "entities")],
            ("名录.csv", &csv(rows::ENTITY_COLUMNS, &[])),
        )
        .await;
    assert_eq!(status, 403);
    // The same file is amr's own: it previews as unchanged.
    let (status, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "inspectors")],
            ("人员.csv", &file),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<dt>内容不变</dt><dd>1（不会改动）</dd>"),
        "{page}"
    );
    assert!(page.contains("导入不会改变任何内容"), "{page}");
    // Nor may a department take over another's record by writing itself in: the
    // record's department counts as much as the file's.
    let agri_name = mouding
        .departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.code == "agri")
        .unwrap()
        .name;
    let taken = csv(
        rows::INSPECTOR_COLUMNS,
        &[rows::inspector_cells(&amr_inspector, &agri_name)],
    );
    let (status, page) = srv
        .upload_to(
            &agri,
            "/staff/import",
            &[("kind", "inspectors")],
            ("人员.csv", &taken),
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("会改变其他部门记录"), "{page}");
    assert_eq!(
        mouding
            .inspector(&amr_inspector.id)
            .await
            .unwrap()
            .unwrap()
            .department,
        "amr"
    );
}

/// The county's setup lists on the same page: the administrator alone imports
/// townships, departments and rule books, each previewed; a township renamed by a
/// file, or two departments given one name, are refused at the preview as the
/// import refuses them, and nothing is written; a changed rule book becomes a new
/// version in force from today.
async fn setup_lists_imported_on_the_web(engine: Engine) {
    use liancha_domain::setup_rows::{
        DEPARTMENT_COLUMNS, RULE_BOOK_COLUMNS, TOWNSHIP_COLUMNS, rule_book_cells,
    };
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let admin = srv.login("admin", PASSWORD).await.unwrap();
    let amr = srv.login("amr-admin", PASSWORD).await.unwrap();
    let (_, page) = srv.get(&admin.cookie, "/staff/import").await;
    for k in ["townships", "departments", "rule-books"] {
        assert!(page.contains(&format!("value=\"{k}\"")), "{k}: {page}");
    }
    let (_, page) = srv.get(&amr.cookie, "/staff/import").await;
    assert!(!page.contains("value=\"townships\""), "{page}");
    let upload = async |who: &common::Session, kind: &str, file: Vec<u8>| {
        srv.upload_to(who, "/staff/import", &[("kind", kind)], ("设置.csv", &file))
            .await
    };
    let line = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();

    // Townships: a department admin may not; a rename is refused; a new one is added.
    let towns = mouding.townships().await.unwrap();
    let renamed = csv(TOWNSHIP_COLUMNS, &[line(&[&towns[0].code, "改名镇"])]);
    let (status, _) = upload(&amr, "townships", renamed.clone()).await;
    assert_eq!(status, 403);
    let (status, page) = upload(&admin, "townships", renamed).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("已是「") && page.contains("改名镇"), "{page}");
    let added = csv(
        TOWNSHIP_COLUMNS,
        &[
            line(&[&towns[0].code, &towns[0].name]),
            line(&["532323999", "新设镇"]),
        ],
    );
    let (status, page) = upload(&admin, "townships", added).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>新增</dt><dd>1</dd>"), "{page}");
    assert_eq!(mouding.townships().await.unwrap().len(), towns.len());
    let (status, _) = srv
        .post(
            &admin,
            &format!("/staff/import/{}", token(&page)),
            &[("confirm", "yes"), ("new", "1"), ("changed", "0")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        mouding
            .townships()
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "新设镇")
    );

    // Departments: two with one name are refused at the preview.
    let depts = mouding.departments().await.unwrap();
    let clash = csv(
        DEPARTMENT_COLUMNS,
        &[line(&["newdept", &depts[0].name, "市场监管"])],
    );
    let (status, page) = upload(&admin, "departments", clash).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("两个部门的名称相同"), "{page}");
    assert_eq!(mouding.departments().await.unwrap(), depts);

    // Rule books: a changed domain is previewed as changed, then a new version.
    let market = mouding
        .rule_book(liancha_domain::Domain::Market)
        .await
        .unwrap();
    let mut cells = rule_book_cells(&market);
    cells[1] = "4".into();
    let (status, page) = upload(&admin, "rule-books", csv(RULE_BOOK_COLUMNS, &[cells])).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>内容改变</dt><dd>1</dd>"), "{page}");
    let (status, _) = srv
        .post(
            &admin,
            &format!("/staff/import/{}", token(&page)),
            &[("confirm", "yes"), ("new", "0"), ("changed", "1")],
        )
        .await;
    assert_eq!(status, 303);
    let versions = mouding
        .rule_book_versions(liancha_domain::Domain::Market)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].book.ratio_bp[0], 400);
    assert_eq!(
        mouding
            .rule_book(liancha_domain::Domain::Market)
            .await
            .unwrap()
            .ratio_bp[0],
        400,
        "in force from today"
    );

    // With a 施行日期: a past day is refused for a changed book, nothing written;
    // a later day makes a version waiting for it; the same book again is no change.
    let today = liancha_domain::calendar::today_in_china();
    let dated = |ratio: &str, day: chrono::NaiveDate| {
        let mut cells = rule_book_cells(&market);
        cells[1] = ratio.into();
        cells.push(day.to_string());
        csv(RULE_BOOK_COLUMNS, &[cells])
    };
    let (status, page) = upload(
        &admin,
        "rule-books",
        dated("6", today - chrono::Days::new(1)),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("施行日期不能早于今天"), "{page}");
    let later = today + chrono::Days::new(40);
    let (status, page) = upload(&admin, "rule-books", dated("6", later)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>内容改变</dt><dd>1</dd>"), "{page}");
    let (status, _) = srv
        .post(
            &admin,
            &format!("/staff/import/{}", token(&page)),
            &[("confirm", "yes"), ("new", "0"), ("changed", "1")],
        )
        .await;
    assert_eq!(status, 303);
    let versions = mouding
        .rule_book_versions(liancha_domain::Domain::Market)
        .await
        .unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0].effective_from, Some(later));
    assert_eq!(versions[0].book.ratio_bp[0], 600);
    assert_eq!(
        mouding
            .rule_book(liancha_domain::Domain::Market)
            .await
            .unwrap()
            .ratio_bp[0],
        400,
        "still the version of today until then"
    );
    let (status, page) = upload(&admin, "rule-books", dated("6", later)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>内容不变</dt><dd>1"), "{page}");
    let (status, page) = upload(
        &admin,
        "rule-books",
        dated("7", today + chrono::Days::new(800)),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("两年以内"), "{page}");

    // The export, imported back, changes nothing; edited without a day, it makes a
    // version from today.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rule-books.csv");
    mouding
        .export_file(liancha_store::import::Kind::RuleBooks, &out, &|_| {})
        .await
        .unwrap();
    let exported = std::fs::read(&out).unwrap();
    let (status, page) = srv
        .upload_to(
            &admin,
            "/staff/import",
            &[("kind", "rule-books")],
            ("rule-books.csv", &exported),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<dt>新增</dt><dd>0</dd>") && page.contains("<dt>内容改变</dt><dd>0</dd>"),
        "{page}"
    );
}

/// 检查要点 imported on the web: a department's own items only; a bad row is named
/// by row and column and nothing is written; the preview says what changes; the
/// confirmed file replaces the points of the items it names, and the result form
/// asks them.
async fn check_points_imported_on_the_web(engine: Engine) {
    use liancha_domain::check_points::{COLUMNS, cells};
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let amr = srv.login("amr-admin", PASSWORD).await.unwrap();
    let agri = srv.login("agri-admin", PASSWORD).await.unwrap();
    let upload = async |who: &common::Session, file: Vec<u8>| {
        srv.upload_to(
            who,
            "/staff/import",
            &[("kind", "check-points")],
            ("检查要点.csv", &file),
        )
        .await
    };
    let sc001 = || async { mouding.check_points(&["SC-001".to_string()]).await.unwrap() };
    let before = sc001().await;
    assert_eq!(before.len(), 2);

    // The template carries the columns and their notes.
    let (status, _) = srv
        .get(&amr.cookie, "/staff/import/template/check-points.xlsx")
        .await;
    assert_eq!(status, 200);

    // One point changed, one new; the old second point left out of the file.
    let mut changed = cells(&before[0]);
    changed[6] = "营业执照未按规定悬挂".into();
    let new = vec![
        "SC-001".to_string(),
        "GSXX".into(),
        "是否在经营场所公示投诉举报电话".into(),
        "实地检查".into(),
        "《中华人民共和国消费者权益保护法》第三十二条".into(),
        "已公示".into(),
        "未公示投诉举报电话".into(),
        "发现问题已责令改正".into(),
    ];
    // Another department's item: refused for the market regulator's admin.
    let (status, page) = upload(&agri, csv(COLUMNS, &[changed.clone()])).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("其他部门"), "{page}");

    // A bad row: an unknown item, a category that is no problem; said by row and
    // column, nothing written.
    let mut bad = new.clone();
    bad[0] = "NO-SUCH".into();
    let mut harmless = new.clone();
    harmless[7] = "未发现问题".into();
    let (status, page) = upload(&amr, csv(COLUMNS, &[changed.clone(), bad, harmless])).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("抽查事项清单中没有事项「NO-SUCH」"), "{page}");
    assert!(page.contains("不是有效的发现问题的检查结果"), "{page}");
    assert_eq!(sc001().await, before);

    let (status, page) = upload(&amr, csv(COLUMNS, &[changed, new])).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>新增</dt><dd>1</dd>"), "{page}");
    assert!(page.contains("<dt>内容改变</dt><dd>1</dd>"), "{page}");
    assert!(page.contains("营业执照未按规定悬挂"), "{page}");
    // The point the file leaves out is said to go.
    assert!(page.contains("<dt>将删除</dt><dd>1"), "{page}");
    assert!(page.contains("SC-001 DSYYZZ"), "{page}");
    assert!(page.contains("删除 1 条"), "{page}");
    assert_eq!(sc001().await, before, "a preview writes nothing");
    let (status, _) = srv
        .post(
            &amr,
            &format!("/staff/import/{}", token(&page)),
            &[
                ("confirm", "yes"),
                ("new", "1"),
                ("changed", "1"),
                ("removed", "1"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let after = sc001().await;
    let codes: Vec<&str> = after.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        ["YYZZ", "GSXX"],
        "the file's points replace the item's"
    );
    assert_eq!(after[0].fail_text, "营业执照未按规定悬挂");
    // Other items keep theirs.
    assert_eq!(
        mouding
            .check_points(&["SC-002".to_string()])
            .await
            .unwrap()
            .len(),
        2
    );
    // The export (command line, same code) gives the points back in the columns.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("points.csv");
    mouding
        .export_file(liancha_store::import::Kind::CheckPoints, &out, &|_| {})
        .await
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("要点编码") && text.contains("GSXX"), "{text}");
    // That file uploaded again changes nothing and drops nothing.
    let (status, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "check-points")],
            ("points.csv", &std::fs::read(&out).unwrap()),
        )
        .await;
    assert_eq!(
        status, 422,
        "another department's items are in the whole export: {page}"
    );
    let own: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(n, l)| *n == 0 || l.starts_with("SC-"))
        .map(|(_, l)| l.to_string())
        .collect();
    let (status, page) = srv
        .upload_to(
            &amr,
            "/staff/import",
            &[("kind", "check-points")],
            ("points.csv", own.join("\r\n").as_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("导入不会改变任何内容"), "{page}");
    assert!(!page.contains("将删除"), "{page}");

    // A point added since the preview would be dropped unseen: the confirmation is
    // refused, nothing changes.
    let shorter = csv(COLUMNS, &[cells(&after[0])]);
    let (status, page) = upload(&amr, shorter).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<dt>将删除</dt><dd>1"), "{page}");
    let mut more = after.clone();
    let mut extra = after[1].clone();
    extra.code = "XTRA".into();
    more.push(extra);
    mouding.put_check_points("SC-001", &more).await.unwrap();
    let (status, _) = srv
        .post(
            &amr,
            &format!("/staff/import/{}", token(&page)),
            &[
                ("confirm", "yes"),
                ("new", "0"),
                ("changed", "0"),
                ("removed", "1"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(sc001().await.len(), 3);
    srv.db.finish().await;
}

#[tokio::test]
async fn check_points_imported_on_the_web_sqlite() {
    check_points_imported_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn check_points_imported_on_the_web_postgres() {
    check_points_imported_on_the_web(Engine::Postgres).await;
}

#[tokio::test]
async fn setup_lists_imported_on_the_web_sqlite() {
    setup_lists_imported_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn setup_lists_imported_on_the_web_postgres() {
    setup_lists_imported_on_the_web(Engine::Postgres).await;
}

#[tokio::test]
async fn directories_imported_on_the_web_sqlite() {
    directories_imported_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn directories_imported_on_the_web_postgres() {
    directories_imported_on_the_web(Engine::Postgres).await;
}
