//! Inspection of a workbook's zip container before any parser sees it.
//!
//! calamine trusts the container: it inflates whatever a part holds, keeps
//! the shared strings and styles in memory whole, and reserves room for as
//! many shared strings as the file claims. A few kilobytes of hostile zip can
//! therefore ask for gigabytes. Here every part a parser may read is checked
//! twice, once by the size the central directory declares (cheap, refuses
//! honest bombs before inflating a byte) and once by counting the bytes that
//! really come out while inflating, since declared sizes can lie. The same
//! pass bounds the longest XML token, which is what the XML parser buffers.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::error::SheetError;
use crate::limits::{
    MAX_CELL_FORMATS, MAX_OTHER_PART_BYTES, MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES,
    MAX_SHEET_PART_BYTES, MAX_TOTAL_PART_BYTES, MAX_XML_TOKEN_BYTES, MAX_ZIP_ENTRIES, size_text,
};

/// Which calamine reader the container is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Xlsx,
    Xlsb,
    Ods,
}

/// What a part is, which decides its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Sheet,
    SharedStrings,
    Styles,
    Other,
}

impl Part {
    fn of(name: &str) -> Part {
        let base = name.rsplit('/').next().unwrap_or(name);
        // Only the sheet data itself gets the large, streamed-part limit;
        // its relationship parts are small like any other.
        if (name.contains("worksheets/") && !name.contains("_rels/")) || name == "content.xml" {
            Part::Sheet
        } else if base.starts_with("sharedstrings.") {
            Part::SharedStrings
        } else if base == "styles.xml" || base == "styles.bin" {
            Part::Styles
        } else {
            Part::Other
        }
    }

    fn max_bytes(self) -> u64 {
        match self {
            Part::Sheet => MAX_SHEET_PART_BYTES,
            Part::SharedStrings => MAX_SHARED_STRINGS_BYTES,
            Part::Styles | Part::Other => MAX_OTHER_PART_BYTES,
        }
    }

    /// The element counted in this part, and how many of it are allowed.
    fn counted(self) -> Option<(&'static [u8], u64, &'static str)> {
        match self {
            Part::SharedStrings => Some((b"si", MAX_SHARED_STRINGS, "共享字符串")),
            Part::Styles => Some((b"xf", MAX_CELL_FORMATS, "单元格格式")),
            Part::Sheet | Part::Other => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Part::Sheet => "工作表",
            Part::SharedStrings => "共享字符串表",
            Part::Styles => "样式表",
            Part::Other => "文件中的",
        }
    }
}

fn not_excel(file: &str, reason: impl Into<String>) -> SheetError {
    SheetError::NotExcel {
        file: file.to_owned(),
        reason: reason.into(),
    }
}

fn too_large(file: &str, reason: String) -> SheetError {
    SheetError::TooLarge {
        file: file.to_owned(),
        reason,
    }
}

/// Checks the zip container in `bytes` and tells which reader it is for.
pub(crate) fn inspect(file: &str, bytes: &[u8]) -> Result<Flavor, SheetError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| not_excel(file, "压缩结构不完整或已损坏，可能文件没有上传完整"))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(too_large(
            file,
            format!("压缩包内有 {} 个部件，超过 {MAX_ZIP_ENTRIES} 个", zip.len()),
        ));
    }
    let names: Vec<String> = (0..zip.len())
        .map(|i| match zip.name_for_index(i) {
            Some(Ok(name)) => Ok(name.replace('\\', "/").to_ascii_lowercase()),
            _ => Err(not_excel(file, "压缩包内的部件名称无法识别")),
        })
        .collect::<Result<_, _>>()?;
    let has = |n: &str| names.iter().any(|m| m == n);
    let flavor = if has("xl/workbook.bin") {
        Flavor::Xlsb
    } else if has("content.xml") && has("mimetype") {
        Flavor::Ods
    } else if has("[content_types].xml") {
        Flavor::Xlsx
    } else {
        return Err(not_excel(
            file,
            "这是一个 zip 压缩包，但里面没有 Excel 工作簿",
        ));
    };

    // Which parts a parser may read, and their declared sizes.
    let mut parsed = Vec::new();
    let mut total: u64 = 0;
    for (index, name) in names.iter().enumerate() {
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        let binary =
            flavor == Flavor::Xlsb && name.ends_with(".bin") && !name.ends_with("vbaproject.bin");
        if !xml && !binary {
            // Pictures, embedded objects, macros: never parsed.
            continue;
        }
        let part = Part::of(name);
        let declared = zip
            .by_index_raw(index)
            .map_err(|_| not_excel(file, format!("压缩包内的部件 {name} 已损坏")))?
            .size();
        check_size(file, name, part, declared)?;
        total = total.saturating_add(declared);
        if total > MAX_TOTAL_PART_BYTES {
            return Err(too_large(
                file,
                format!("解压后的内容合计超过 {}", size_text(MAX_TOTAL_PART_BYTES)),
            ));
        }
        parsed.push((index, part, xml));
    }

    // Count what really comes out. Reading stops one byte past the limit,
    // so a lying entry costs at most the limit in time and nothing in memory.
    let mut scanner = Scanner::default();
    for (index, part, xml) in parsed {
        let entry = zip
            .by_index(index)
            .map_err(|_| not_excel(file, format!("压缩包内的部件 {} 无法解压", names[index])))?;
        scanner.reset(part, xml);
        let mut limited = entry.take(part.max_bytes() + 1);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    return Err(not_excel(
                        file,
                        format!("压缩包内的部件 {} 数据已损坏", names[index]),
                    ));
                }
            };
            scanner
                .feed(&buf[..n])
                .map_err(|problem| problem.into_error(file, &names[index]))?;
        }
        check_size(file, &names[index], part, scanner.bytes)?;
        if part == Part::SharedStrings {
            check_unique_count(file, &scanner.prefix)?;
        }
    }
    Ok(flavor)
}

fn check_size(file: &str, name: &str, part: Part, size: u64) -> Result<(), SheetError> {
    if size > part.max_bytes() {
        let what = match part {
            Part::Other => format!("{}部件 {name}", part.label()),
            _ => part.label().to_owned(),
        };
        return Err(too_large(
            file,
            format!(
                "{what}解压后超过 {}（文件可能是“压缩炸弹”）",
                size_text(part.max_bytes())
            ),
        ));
    }
    Ok(())
}

/// calamine reserves room for the `uniqueCount` the table declares before
/// reading a single string, so a lying count alone could exhaust memory.
fn check_unique_count(file: &str, prefix: &[u8]) -> Result<(), SheetError> {
    let Some(at) = find(prefix, b"uniqueCount") else {
        return Ok(());
    };
    let digits: Vec<u8> = prefix[at + b"uniqueCount".len()..]
        .iter()
        .copied()
        .skip_while(|b| matches!(b, b'=' | b'"' | b'\'' | b' '))
        .take_while(u8::is_ascii_digit)
        .collect();
    let count = std::str::from_utf8(&digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    if !digits.is_empty() && count > MAX_SHARED_STRINGS {
        return Err(too_large(
            file,
            format!("共享字符串表声明了 {count} 个字符串，超过 {MAX_SHARED_STRINGS} 个"),
        ));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

enum Problem {
    Token,
    Count(&'static str, u64),
}

impl Problem {
    fn into_error(self, file: &str, name: &str) -> SheetError {
        match self {
            Problem::Token => too_large(
                file,
                format!(
                    "部件 {name} 中有一段连续内容超过 {}（Excel 单元格最多 32767 个字符）",
                    size_text(MAX_XML_TOKEN_BYTES)
                ),
            ),
            Problem::Count(what, limit) => too_large(file, format!("{what}超过 {limit} 个")),
        }
    }
}

/// Streaming byte counter and minimal XML tokenizer: it only knows where
/// `<` starts a tag and what the tag's local name is.
#[derive(Default)]
struct Scanner {
    bytes: u64,
    xml: bool,
    since_lt: u64,
    state: TagState,
    name: Vec<u8>,
    counted: Option<(&'static [u8], u64, &'static str)>,
    count: u64,
    /// The part's first bytes, where the shared string table's attributes are.
    prefix: Vec<u8>,
}

#[derive(Default, PartialEq)]
enum TagState {
    #[default]
    Outside,
    AfterLt,
    InName,
}

const PREFIX_BYTES: usize = 4096;

impl Scanner {
    fn reset(&mut self, part: Part, xml: bool) {
        self.bytes = 0;
        self.xml = xml;
        self.since_lt = 0;
        self.state = TagState::Outside;
        self.name.clear();
        self.counted = if xml { part.counted() } else { None };
        self.count = 0;
        self.prefix.clear();
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Problem> {
        self.bytes += chunk.len() as u64;
        if self.prefix.len() < PREFIX_BYTES {
            let take = (PREFIX_BYTES - self.prefix.len()).min(chunk.len());
            self.prefix.extend_from_slice(&chunk[..take]);
        }
        if !self.xml {
            return Ok(());
        }
        for &b in chunk {
            if b == b'<' {
                self.since_lt = 0;
                self.state = TagState::AfterLt;
                continue;
            }
            self.since_lt += 1;
            if self.since_lt > MAX_XML_TOKEN_BYTES {
                return Err(Problem::Token);
            }
            match self.state {
                TagState::Outside => {}
                TagState::AfterLt => {
                    if matches!(b, b'/' | b'?' | b'!') {
                        self.state = TagState::Outside;
                    } else {
                        self.name.clear();
                        self.name.push(b);
                        self.state = TagState::InName;
                    }
                }
                TagState::InName => {
                    if b.is_ascii_whitespace() || b == b'>' || b == b'/' {
                        self.state = TagState::Outside;
                        self.tag_named()?;
                    } else if self.name.len() < 64 {
                        self.name.push(b);
                    }
                }
            }
        }
        Ok(())
    }

    fn tag_named(&mut self) -> Result<(), Problem> {
        let Some((wanted, limit, what)) = self.counted else {
            return Ok(());
        };
        let local = match self.name.iter().rposition(|&b| b == b':') {
            Some(i) => &self.name[i + 1..],
            None => &self.name[..],
        };
        if local == wanted {
            self.count += 1;
            if self.count > limit {
                return Err(Problem::Count(what, limit));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_counts_local_names_across_chunks() {
        let mut s = Scanner::default();
        s.reset(Part::SharedStrings, true);
        let xml = b"<sst uniqueCount=\"2\"><si><t>a</t></si><x:si><t>b</t></x:si><sig/></sst>";
        for chunk in xml.chunks(3) {
            assert!(s.feed(chunk).is_ok());
        }
        assert_eq!(s.count, 2);
        assert_eq!(s.bytes, xml.len() as u64);
    }

    #[test]
    fn parts_are_classified_by_name() {
        assert_eq!(Part::of("xl/worksheets/sheet1.xml"), Part::Sheet);
        assert_eq!(Part::of("xl/sharedstrings.xml"), Part::SharedStrings);
        assert_eq!(Part::of("xl/styles.xml"), Part::Styles);
        assert_eq!(Part::of("xl/workbook.xml"), Part::Other);
        assert_eq!(Part::of("content.xml"), Part::Sheet);
        assert_eq!(Part::of("xl/worksheets/_rels/sheet1.xml.rels"), Part::Other);
    }
}
