//! The command line's import is the web's use case: a file is refused at the
//! command line for what the web refuses it for, on both engines, and nothing of
//! a refused file is written.

use chrono::{DateTime, TimeZone, Utc};
use liancha_app::{App, AppError};
use liancha_domain::rows::{self, ENTITY_COLUMNS};
use liancha_store::Store;
use liancha_store::directories::EntityFilter;
use liancha_store::import::Kind;

mod common;

liancha_store::on_both_engines!(the_command_line_refuses_what_the_web_refuses);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn csv(rows: &[Vec<String>]) -> String {
    let line = |cells: &[String]| {
        cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let head: Vec<String> = ENTITY_COLUMNS
        .iter()
        .map(|c| c.header.to_string())
        .collect();
    std::iter::once(line(&head))
        .chain(rows.iter().map(|r| line(r)))
        .collect::<Vec<_>>()
        .join("\r\n")
}

async fn the_command_line_refuses_what_the_web_refuses(store: &Store) {
    let mouding = common::demo_county(store, 20, 40, t0()).await;
    let app = App::new(store.clone());
    let dir = tempfile::tempdir().unwrap();
    let all = mouding
        .entities(&EntityFilter::default(), 0, 100)
        .await
        .unwrap()
        .rows;
    let clean = all.iter().find(|e| !e.abnormal && !e.blacklisted).unwrap();

    // A directory that would put an entity on the abnormal list: the web refuses it
    // (only a credit decision lists an entity); so does the command line.
    let abnormal = ENTITY_COLUMNS
        .iter()
        .position(|c| c.key == "abnormal")
        .unwrap();
    let address = ENTITY_COLUMNS
        .iter()
        .position(|c| c.key == "address")
        .unwrap();
    let mut listed = rows::entity_cells(clean);
    listed[abnormal] = "是".into();
    listed[address] = "牟定县共和镇新建路 8 号".into();
    let path = dir.path().join("名录.csv");
    std::fs::write(&path, csv(&[listed])).unwrap();
    let refused = app
        .import_as_operator(mouding.code(), Kind::Entities, &path, &|_| {})
        .await;
    match refused {
        Err(AppError::Invalid { message, .. }) => {
            assert!(message.contains("经营异常名录"), "{message}")
        }
        other => panic!("refused as on the web: {other:?}"),
    }
    assert_eq!(
        mouding.entity(&clean.id).await.unwrap().unwrap(),
        *clean,
        "nothing of the file written"
    );

    // The same file without the flag imports.
    let mut moved = rows::entity_cells(clean);
    moved[address] = "牟定县共和镇新建路 8 号".into();
    std::fs::write(&path, csv(&[moved])).unwrap();
    let out = app
        .import_as_operator(mouding.code(), Kind::Entities, &path, &|_| {})
        .await
        .unwrap();
    assert_eq!((out.rows, out.inserted), (1, 0));
    assert_eq!(
        mouding.entity(&clean.id).await.unwrap().unwrap().address,
        "牟定县共和镇新建路 8 号"
    );
}
