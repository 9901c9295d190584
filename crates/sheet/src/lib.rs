//! liancha-sheet: the tabular file layer.
//!
//! Clerks bring data as whatever their office software produced: XLSX from
//! Excel or WPS, old .xls, and CSV in one of three encodings. This crate
//! turns all of them into one thing — a header row plus records of trimmed
//! strings, each carrying the row number the clerk sees in Excel — and knows
//! nothing about what the columns mean. Mapping columns to domain fields and
//! validating values is the job of the crate above, which gets from here the
//! positions (file, row, column letter) it needs for its own error messages.
//!
//! Writing goes the other way: exports ([`TableWriter`]) and import
//! templates ([`write_template`]) are produced so that Excel cannot damage
//! the data on the next round trip, above all by keeping id columns as text.
//!
//! ```no_run
//! use liancha_sheet::Table;
//!
//! let mut table = Table::open("entities.xlsx")?;
//! let uscc = table.require_column(&["统一社会信用代码", "社会信用代码", "USCC"])?;
//! for record in table.records() {
//!     let record = record?;
//!     println!("{}: {}", uscc.cell_ref(record.row()), record.cell(&uscc));
//! }
//! # Ok::<(), liancha_sheet::SheetError>(())
//! ```

mod container;
mod csv_out;
mod delimited;
mod encoding;
mod error;
pub mod limits;
mod read;
mod template;
mod text;
mod workbook;
mod write;

pub use csv_out::{CsvWriter, neutralise_formula};
pub use encoding::TextEncoding;
pub use error::SheetError;
pub use read::{Column, Record, Records, Table};
pub use template::{ColumnSpec, INSTRUCTIONS_SHEET, write_template};
pub use text::column_letter;
pub use write::{ColumnKind, TableWriter, WriteColumn};
