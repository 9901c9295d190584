//! Import templates: the blank XLSX a clerk downloads, fills in and uploads.
//!
//! Most import errors are prevented here rather than reported later: id
//! columns are text before anything is typed or pasted into them, closed
//! vocabularies are drop-downs, and every column explains itself both on
//! the header (a note) and when a cell is selected (an input message).

use std::path::Path;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatAlign, FormatBorder, Formula,
    Note, Workbook, Worksheet, XlsxError,
};

use crate::error::SheetError;
use crate::text::{column_letter, display_width};
use crate::write::{ColumnKind, TEXT_FORMAT, kind_format, xlsx_error};

/// Name of the sheet explaining each column.
pub const INSTRUCTIONS_SHEET: &str = "填写说明";
/// Hidden sheet holding drop-down lists too long for Excel's inline limit.
const LISTS_SHEET: &str = "可选值";
/// Last row (0-based) that data validation covers: the whole sheet.
const LAST_ROW: u32 = 1_048_575;

/// One column of an import template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnSpec {
    /// Header text; the import side should list it among the column's
    /// aliases.
    pub header: String,
    /// Cell type; `Text` for anything id-like.
    pub kind: ColumnKind,
    pub required: bool,
    /// What to fill in, in Chinese, for the clerk.
    pub description: String,
    pub example: String,
    /// Closed vocabulary shown as a drop-down; empty for free input.
    pub allowed: Vec<String>,
}

impl ColumnSpec {
    pub fn new(header: impl Into<String>) -> Self {
        ColumnSpec {
            header: header.into(),
            ..ColumnSpec::default()
        }
    }

    pub fn kind(mut self, kind: ColumnKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    pub fn example(mut self, example: impl Into<String>) -> Self {
        self.example = example.into();
        self
    }

    pub fn allowed<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed = values.into_iter().map(Into::into).collect();
        self
    }

    /// The drop-down values: the explicit list, or 是/否 for booleans.
    fn choices(&self) -> Vec<String> {
        if self.allowed.is_empty() && self.kind == ColumnKind::Bool {
            vec!["是".to_owned(), "否".to_owned()]
        } else {
            self.allowed.clone()
        }
    }

    fn format_hint(&self) -> &'static str {
        match self.kind {
            ColumnKind::Text => "文本",
            ColumnKind::Date => "日期，如 2024-01-31",
            ColumnKind::Integer => "整数",
            ColumnKind::Bool => "是 或 否",
        }
    }
}

/// Writes an import template to `path` (must be `.xlsx`).
///
/// Sheet `sheet_name` holds only the header row: required headers on a red
/// fill, optional ones on grey, each with a note; id columns formatted as
/// text; drop-downs for `allowed` values. Sheet 「填写说明」 lists every
/// column with 必填/选填, 说明, 示例, 可选值 and the expected format.
pub fn write_template(
    path: impl AsRef<Path>,
    sheet_name: &str,
    columns: &[ColumnSpec],
) -> Result<(), SheetError> {
    let path = path.as_ref();
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext != "xlsx" {
        return Err(SheetError::UnsupportedFormat {
            file,
            extension: format!(".{ext}"),
        });
    }
    build_template(sheet_name, columns)
        .and_then(|mut workbook| workbook.save(path))
        .map_err(|e| xlsx_error(&file, e))
}

fn build_template(sheet_name: &str, columns: &[ColumnSpec]) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    let mut data = Worksheet::new();
    data.set_name(sheet_name)?;
    let mut lists = Worksheet::new();
    lists.set_name(LISTS_SHEET)?.set_hidden(true);
    let mut lists_used = 0u16;

    let header = |fill: u32, font: u32| {
        Format::new()
            .set_bold()
            .set_background_color(Color::RGB(fill))
            .set_font_color(Color::RGB(font))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_num_format_index(TEXT_FORMAT)
    };
    let required_header = header(0xffc7ce, 0x9c0006);
    let optional_header = header(0xd9d9d9, 0x000000);

    for (i, spec) in columns.iter().enumerate() {
        let col = i as u16;
        data.set_column_format(col, &kind_format(spec.kind))?;
        let width = display_width(&spec.header)
            .max(display_width(&spec.example))
            .clamp(10, 40);
        data.set_column_width(col, width as f64 + 4.0)?;
        let format = if spec.required {
            &required_header
        } else {
            &optional_header
        };
        // The header text stays exactly the column name, so that an
        // uploaded template matches the import aliases without markers.
        data.write_string_with_format(0, col, &spec.header, format)?;
        data.insert_note(
            0,
            col,
            &Note::new(note_text(spec))
                .add_author_prefix(false)
                .set_width(240)
                .set_height(120),
        )?;

        let choices = spec.choices();
        let mut validation = if choices.is_empty() {
            DataValidation::new().allow_any_value()
        } else {
            // Excel separates inline list items by commas, so a value with a
            // comma, or a list over the 255-character inline limit, goes to
            // the hidden sheet and is referenced as a range.
            let inline = if choices.iter().any(|c| c.contains(',')) {
                Err(XlsxError::DataValidationError("comma in value".to_owned()))
            } else {
                DataValidation::new().allow_list_strings(&choices)
            };
            let listed = match inline {
                Ok(v) => v,
                Err(XlsxError::DataValidationError(_)) => {
                    let list_col = lists_used;
                    lists_used += 1;
                    for (r, value) in choices.iter().enumerate() {
                        lists.write_string(r as u32, list_col, value)?;
                    }
                    let letter = column_letter(list_col as usize);
                    DataValidation::new().allow_list_formula(Formula::new(format!(
                        "='{LISTS_SHEET}'!${letter}$1:${letter}${}",
                        choices.len()
                    )))
                }
                Err(e) => return Err(e),
            };
            listed
                .set_error_style(DataValidationErrorStyle::Stop)
                .set_error_title(clip(&spec.header, 32))?
                .set_error_message("请从下拉列表中选择一个可选值")?
        };
        let message = input_message(spec);
        if !message.is_empty() {
            validation = validation
                .set_input_title(clip(&spec.header, 32))?
                .set_input_message(clip(&message, 255))?;
        }
        if !choices.is_empty() || !message.is_empty() {
            data.add_data_validation(1, col, LAST_ROW, col, &validation)?;
        }
    }
    data.set_freeze_panes(1, 0)?;
    workbook.push_worksheet(data);
    workbook.push_worksheet(instructions(columns)?);
    if lists_used > 0 {
        workbook.push_worksheet(lists);
    }
    Ok(workbook)
}

fn note_text(spec: &ColumnSpec) -> String {
    let mut text = String::from(if spec.required {
        "【必填】"
    } else {
        "【选填】"
    });
    text.push_str(&spec.description);
    if !spec.example.is_empty() {
        text.push_str("\n示例：");
        text.push_str(&spec.example);
    }
    let choices = spec.choices();
    if !choices.is_empty() {
        text.push_str("\n可选值：");
        text.push_str(&choices.join("、"));
    }
    text
}

fn input_message(spec: &ColumnSpec) -> String {
    let mut text = String::new();
    if spec.required {
        text.push_str("必填。");
    }
    text.push_str(&spec.description);
    if !spec.example.is_empty() {
        text.push_str("\n示例：");
        text.push_str(&spec.example);
    }
    text
}

fn instructions(columns: &[ColumnSpec]) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(INSTRUCTIONS_SHEET)?;
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xd9e1f2))
        .set_border(FormatBorder::Thin);
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_num_format_index(TEXT_FORMAT);
    let required = wrap.clone().set_font_color(Color::RGB(0xc00000)).set_bold();

    let headings = ["列名", "必填/选填", "说明", "示例", "可选值", "格式"];
    let widths = [24.0, 10.0, 50.0, 26.0, 30.0, 20.0];
    for (c, (title, width)) in headings.iter().zip(widths).enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &head)?;
        sheet.set_column_width(c as u16, width)?;
    }
    for (i, spec) in columns.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string_with_format(r, 0, &spec.header, &wrap)?;
        if spec.required {
            sheet.write_string_with_format(r, 1, "必填", &required)?;
        } else {
            sheet.write_string_with_format(r, 1, "选填", &wrap)?;
        }
        sheet.write_string_with_format(r, 2, &spec.description, &wrap)?;
        // Text, so an 18-digit example id is shown whole.
        sheet.write_string_with_format(r, 3, &spec.example, &wrap)?;
        sheet.write_string_with_format(r, 4, spec.choices().join("、"), &wrap)?;
        sheet.write_string_with_format(r, 5, spec.format_hint(), &wrap)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

/// Cuts `s` to at most `max` UTF-16 units, Excel's unit for these limits.
fn clip(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() > max - 1 {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}
