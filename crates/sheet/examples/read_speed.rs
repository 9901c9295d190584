//! Times reading a large CSV through `Table`, to check that a county-wide
//! import (a million market entities) is an interactive-speed operation.
//!
//! ```text
//! cargo run --release -p liancha-sheet --example read_speed [ROWS] [--xlsx]
//! ```
//!
//! Generates ROWS (default 1,000,000) rows of ~200 bytes of realistic
//! Chinese data in a temporary directory, as UTF-8 with BOM (written by
//! `TableWriter`) and as GB18030 (what plain “CSV” from Excel on Chinese
//! Windows is), then reads each back, touching every cell. With `--xlsx`
//! the same rows are also exported to and read from XLSX, which calamine
//! loads whole.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use liancha_sheet::{SheetError, Table, TableWriter, WriteColumn};

const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "欧阳"];
const DISTRICTS: [&str; 5] = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区"];
const TRADES: [&str; 4] = ["餐饮服务", "食品销售", "药品零售", "特种设备"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_xlsx = args.iter().any(|a| a == "--xlsx");
    let rows: u64 = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(|a| a.replace('_', "").parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;

    let utf8 = dir.path().join("entities.csv");
    let started = Instant::now();
    write_table(&utf8, rows)?;
    let size = std::fs::metadata(&utf8)?.len();
    println!(
        "wrote {rows} rows, {:.1} MB, {:.1} B/row, UTF-8 with BOM via TableWriter in {:.2?}",
        size as f64 / 1e6,
        size as f64 / rows as f64,
        started.elapsed()
    );

    let gbk = dir.path().join("entities-gbk.csv");
    to_gb18030(&utf8, &gbk)?;

    let mut inputs = vec![("UTF-8", utf8), ("GB18030", gbk)];
    if with_xlsx {
        let xlsx = dir.path().join("entities.xlsx");
        let started = Instant::now();
        write_table(&xlsx, rows)?;
        println!("wrote {rows} rows to XLSX in {:.2?}", started.elapsed());
        inputs.push(("XLSX", xlsx));
    }
    for (label, path) in &inputs {
        let size = std::fs::metadata(path)?.len();
        let (count, checksum, elapsed) = read(path)?;
        assert_eq!(count, rows, "every row read back");
        println!(
            "read {label:8} {count} rows in {elapsed:.2?}: {:.0} rows/s, {:.0} MB/s (checksum {checksum})",
            count as f64 / elapsed.as_secs_f64(),
            size as f64 / 1e6 / elapsed.as_secs_f64(),
        );
    }
    Ok(())
}

fn write_table(path: &Path, rows: u64) -> Result<(), SheetError> {
    let columns = [
        WriteColumn::text("统一社会信用代码"),
        WriteColumn::text("企业名称"),
        WriteColumn::text("法定代表人"),
        WriteColumn::text("联系电话"),
        WriteColumn::text("经营地址"),
        WriteColumn::text("行业类别"),
        WriteColumn::date("成立日期"),
        WriteColumn::integer("从业人数"),
        WriteColumn::bool("是否重点监管"),
    ];
    let mut writer = TableWriter::create(path, &columns)?;
    let mut cells: [String; 9] = Default::default();
    for i in 0..rows {
        let surname = SURNAMES[(i % 8) as usize];
        let district = DISTRICTS[(i % 5) as usize];
        let trade = TRADES[(i % 4) as usize];
        cells[0] = format!("91510100MA{:08}", i);
        cells[1] = format!("成都市{district}{surname}记{trade}有限公司第{i}分店");
        cells[2] = format!("{surname}某某");
        cells[3] = format!("138{:08}", i % 100_000_000);
        cells[4] = format!(
            "四川省成都市{district}人民南路{}段{}号附{}号",
            i % 9 + 1,
            i % 300,
            i % 17
        );
        cells[5] = trade.to_owned();
        cells[6] = format!("20{:02}-{:02}-{:02}", i % 25, i % 12 + 1, i % 28 + 1);
        cells[7] = (i % 500).to_string();
        cells[8] = if i % 7 == 0 { "是" } else { "否" }.to_owned();
        writer.write_row(&cells)?;
    }
    writer.finish()
}

/// Re-encodes line by line, the way a clerk's “save as CSV” would produce it.
fn to_gb18030(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(from)?);
    let mut output = BufWriter::with_capacity(1 << 20, std::fs::File::create(to)?);
    let mut line = String::new();
    let mut first = true;
    while input.read_line(&mut line)? > 0 {
        let text = if first {
            first = false;
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        };
        let (bytes, _, _) = encoding_rs::GB18030.encode(text);
        output.write_all(&bytes)?;
        line.clear();
    }
    output.flush()
}

fn read(path: &Path) -> Result<(u64, usize, Duration), SheetError> {
    let started = Instant::now();
    let mut table = Table::open(path)?;
    let uscc = table.require_column(&["统一社会信用代码", "USCC"])?;
    let mut count = 0;
    let mut checksum = 0usize;
    for record in table.records() {
        let record = record?;
        checksum = checksum.wrapping_add(record.iter().map(str::len).sum::<usize>());
        checksum = checksum.wrapping_add(record.cell(&uscc).len() + record.row() as usize);
        count += 1;
    }
    Ok((count, checksum, started.elapsed()))
}
