//! Documents as PDF files: A4 pages in the layout of official documents (GB/T 9704:
//! 37 mm top and 28 mm left margins, a 156 × 225 mm text block), Chinese fonts
//! embedded as subsets, text that can be searched and copied.
//!
//! A document is a list of [`Block`]s in sections; each section starts on a new page
//! and runs on to further pages when it is long (a table repeats its header there).
//! Glyphs are placed here from the font's own metrics: Chinese text needs no shaping,
//! and what is measured for line breaking is exactly what is drawn.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::raw::TableProvider;
use skrifa::{FontRef, MetadataProvider};

mod layout;

pub use layout::wrap;

/// Millimetres to PDF points.
const fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

const PAGE_W: f32 = mm(210.0);
const PAGE_H: f32 = mm(297.0);
const LEFT: f32 = mm(28.0);
const TOP: f32 = mm(37.0);
const TEXT_W: f32 = mm(156.0);
const TEXT_H: f32 = mm(225.0);

/// Body text: 小四 (12 pt), so that a notice is one sheet; titles 小二 (20 pt); numbers
/// 3号 (16 pt), headings 4号 (14 pt);
/// tables 5号 (10.5 pt).
pub const BODY: f32 = 12.0;
const TITLE: f32 = 20.0;
const HEADING: f32 = 14.0;
const NUMBER: f32 = 16.0;
const SMALL: f32 = 10.5;
/// Captions (小五, 9 pt): what a QR code is for.
const CAPTION: f32 = 9.0;
const LEADING: f32 = 1.4;

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "本机没有可用的中文字体，不能生成 PDF：请安装 fonts-noto-cjk，或用 LIANCHA_PDF_FONT 指定字体文件"
    )]
    NoFont,
    #[error("字体文件 {path} 无法读取：{reason}")]
    BadFont { path: String, reason: String },
    #[error("生成 PDF 失败：{0}")]
    Pdf(String),
}

/// The family name of face `index` of a font file (empty if it has none).
fn family(data: &[u8], index: u32) -> String {
    FontRef::from_index(data, index)
        .ok()
        .and_then(|f| {
            f.localized_strings(skrifa::string::StringId::FAMILY_NAME)
                .english_or_first()
                .map(|s| s.to_string())
        })
        .unwrap_or_default()
}

/// One face of a font file: the face of a collection whose family is simplified
/// Chinese (a CJK collection holds Japanese, Korean and Chinese faces whose Han
/// characters are drawn differently).
struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
    units_per_em: f32,
    /// Glyph and advance (in em) of each character met.
    cache: Mutex<HashMap<char, (u32, f32)>>,
}

impl Face {
    fn open(path: &Path) -> Result<Face, PrintError> {
        let bad = |reason: String| PrintError::BadFont {
            path: path.display().to_string(),
            reason,
        };
        let data = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let data = Arc::new(data);
        let count = skrifa::raw::FileRef::new(&data)
            .map(|f| f.fonts().count() as u32)
            .map_err(|e| bad(e.to_string()))?;
        let index = (0..count)
            .find(|i| {
                let f = family(&data, *i);
                f.ends_with(" SC") || f.contains("SC ") || f.contains("GB")
            })
            .unwrap_or(0);
        let units_per_em = FontRef::from_index(&data, index)
            .map_err(|e| bad(e.to_string()))?
            .head()
            .map_err(|e| bad(e.to_string()))?
            .units_per_em() as f32;
        let font = Font::new(krilla::Data::from(data.clone()), index)
            .ok_or_else(|| bad("不是可用的 OpenType 字体".into()))?;
        Ok(Face {
            data,
            index,
            font,
            units_per_em,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The glyph and advance (in em) of `c`; a character the font lacks is drawn as
    /// the font's missing glyph, one em wide.
    fn glyph(&self, c: char) -> (u32, f32) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(g) = cache.get(&c) {
            return *g;
        }
        let g = FontRef::from_index(&self.data, self.index)
            .ok()
            .and_then(|f| {
                let gid = f.charmap().map(c)?;
                let adv = f
                    .glyph_metrics(
                        skrifa::instance::Size::unscaled(),
                        skrifa::instance::LocationRef::default(),
                    )
                    .advance_width(gid)?;
                Some((gid.to_u32(), adv / self.units_per_em))
            })
            .unwrap_or((0, 1.0));
        cache.insert(c, g);
        g
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// The fonts documents are set in: a 仿宋 for the text where one is installed (GB/T
/// 9704), else a serif (宋体-like); a bold face for titles (the text face itself when
/// no bold is found).
#[derive(Clone)]
pub struct Fonts {
    text: Arc<Face>,
    bold: Arc<Face>,
    /// The face a document is set in instead of `text` when `text` lacks one of its
    /// characters: a 仿宋 of GB2312 lacks rare characters of names (喆, 堃, 赟),
    /// which would print as its missing glyph.
    fallback: Option<Arc<Face>>,
}

/// Where Debian's fonts-noto-cjk puts its faces, text first, then bold.
const SEARCH: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
];

/// Font files of a 仿宋 (FangSong), the face GB/T 9704 sets the text of official
/// documents in, by the names they are installed under: Windows' and the GB2312
/// faces offices license, and 朱雀仿宋 (free, SIL OFL). None ships with Debian.
const FANGSONG: &[&str] = &[
    "simfang.ttf",
    "SIMFANG.TTF",
    "FangSong_GB2312.ttf",
    "仿宋_GB2312.ttf",
    "仿宋_GB2312.TTF",
    "STFANGSO.TTF",
    "FZFSK.TTF",
    "ZhuqueFangsong-Regular.ttf",
];

/// Where font packages and administrators put font files.
const FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// The first 仿宋 file under `dirs` (searched a few levels deep, in name order, so
/// the same file is found each time).
fn find_fangsong(dirs: &[&Path]) -> Option<PathBuf> {
    fn walk(dir: &Path, depth: u32, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                if depth > 0 {
                    walk(&path, depth - 1, found);
                }
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| FANGSONG.contains(&n))
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for dir in dirs {
        walk(dir, 4, &mut found);
    }
    // The names' order is the preference: a licensed GB2312 face before a free one.
    found.sort_by_key(|p| {
        FANGSONG
            .iter()
            .position(|n| p.file_name().and_then(|f| f.to_str()) == Some(n))
    });
    found.into_iter().next()
}

impl Fonts {
    /// The fonts of two files (the bold one optional).
    pub fn open(text: &Path, bold: Option<&Path>) -> Result<Fonts, PrintError> {
        let text = Arc::new(Face::open(text)?);
        let bold = match bold {
            Some(b) => Arc::new(Face::open(b)?),
            None => text.clone(),
        };
        Ok(Fonts {
            text,
            bold,
            fallback: None,
        })
    }

    /// `LIANCHA_PDF_FONT` (a font file, optionally `text.ttc:bold.ttc`); else the
    /// text in a 仿宋 installed on the machine, if any, and otherwise, like titles,
    /// in the Noto CJK faces where Debian installs them.
    pub fn find() -> Result<Fonts, PrintError> {
        if let Ok(v) = std::env::var("LIANCHA_PDF_FONT")
            && !v.trim().is_empty()
        {
            let mut parts = v.splitn(2, ':');
            let text = PathBuf::from(parts.next().unwrap_or_default());
            let bold = parts.next().map(PathBuf::from);
            return Fonts::open(&text, bold.as_deref());
        }
        let dirs: Vec<&Path> = FONT_DIRS.iter().map(Path::new).collect();
        let fangsong = find_fangsong(&dirs);
        for (text, bold) in SEARCH {
            let (text, bold) = (Path::new(text), Path::new(bold));
            if text.exists() {
                let bold = bold.exists().then_some(bold);
                let serif = Fonts::open(text, bold)?;
                // A 仿宋 that cannot be read is passed over, not a reason to print nothing.
                return Ok(match fangsong.map(|f| Face::open(&f)) {
                    Some(Ok(f)) => Fonts {
                        text: Arc::new(f),
                        fallback: Some(serif.text.clone()),
                        ..serif
                    },
                    Some(Err(_)) | None => serif,
                });
            }
        }
        match fangsong {
            Some(f) => Fonts::open(&f, None),
            None => Err(PrintError::NoFont),
        }
    }

    /// The fonts to set `sections` in: the text face if it has every character of
    /// them, else the fallback for the whole document (one face, not a mixture).
    fn for_text(&self, sections: &[Vec<Block>]) -> Fonts {
        let Some(fallback) = &self.fallback else {
            return self.clone();
        };
        let covered = sections
            .iter()
            .flatten()
            .flat_map(Block::texts)
            .flat_map(str::chars)
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .all(|c| self.text.glyph(c).0 != 0);
        if covered {
            self.clone()
        } else {
            Fonts {
                text: fallback.clone(),
                bold: self.bold.clone(),
                fallback: None,
            }
        }
    }

    /// The family name of the text face (仿宋 or the serif it falls back to).
    pub fn text_family(&self) -> String {
        family(&self.text.data, self.text.index)
    }

    fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.text }
    }
}

/// What a document is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's name, centred, large and bold.
    Title(String),
    /// Its number (文号), centred under the title.
    Number(String),
    /// A heading of a part, bold.
    Heading(String),
    /// A paragraph whose first line is indented two characters.
    Para(String),
    /// A line or paragraph without indent (the addressee: “某某公司：”).
    Plain(String),
    /// An item of a numbered or bulleted list: the mark hangs in the margin.
    Item { mark: String, text: String },
    /// Lines set flush right (the issuing office and the date).
    Right(Vec<String>),
    /// A table: column widths as shares of the text width, a header row (none for
    /// a form of labels and values), rows.
    Table {
        widths: Vec<f32>,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A QR code of `data` with lines of text beside it, and `sign` (the issuing
    /// office and the date) set flush right at the foot of the same row.
    Qr {
        data: String,
        caption: Vec<String>,
        sign: Vec<String>,
    },
    /// Vertical space, in lines of body text.
    Space(f32),
}

impl Block {
    /// The text the block sets.
    fn texts(&self) -> Vec<&str> {
        match self {
            Block::Title(t) | Block::Number(t) | Block::Heading(t) | Block::Para(t) => vec![t],
            Block::Plain(t) => vec![t],
            Block::Item { mark, text } => vec![mark, text],
            Block::Right(lines) => lines.iter().map(String::as_str).collect(),
            Block::Table { header, rows, .. } => header
                .iter()
                .chain(rows.iter().flatten())
                .map(String::as_str)
                .collect(),
            Block::Qr { caption, sign, .. } => {
                caption.iter().chain(sign).map(String::as_str).collect()
            }
            Block::Space(_) => vec![],
        }
    }
}

/// Metadata of the file.
pub struct Meta<'a> {
    pub title: &'a str,
    pub author: &'a str,
}

/// Sets `sections` (each from a new page) into a PDF file.
pub fn render(
    fonts: &Fonts,
    meta: &Meta<'_>,
    sections: &[Vec<Block>],
) -> Result<Vec<u8>, PrintError> {
    let fonts = &fonts.for_text(sections);
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(meta.title.to_string())
            .authors(vec![meta.author.to_string()])
            .creator("liancha".into())
            .language("zh-CN".into()),
    );
    for blocks in sections {
        let mut pages = layout::lay_out(fonts, blocks);
        if pages.is_empty() {
            pages.push(Vec::new());
        }
        for (n, ops) in pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or_else(|| PrintError::Pdf("A4".into()))?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for op in ops.iter().chain(std::iter::once(&folio(fonts, n + 1))) {
                draw(fonts, &mut surface, op);
            }
            surface.finish();
            page.finish();
        }
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

/// The page number (页码) of the `n`th page of a document, as GB/T 9704 sets it:
/// 4号 figures between two 一字线, 7 mm under the text block, an odd page's a
/// character in from the right, an even page's a character in from the left.
fn folio(fonts: &Fonts, n: usize) -> Op {
    const SIZE: f32 = HEADING;
    let text = format!("— {n} —");
    let width = fonts.face(false).width(&text, SIZE);
    let x = if n % 2 == 1 {
        LEFT + TEXT_W - SIZE - width
    } else {
        LEFT + SIZE
    };
    Op::Text {
        x,
        baseline: TOP + TEXT_H + mm(7.0) + SIZE * 0.88,
        size: SIZE,
        bold: false,
        text,
    }
}

/// One thing drawn on a page, in points from the page's top left.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    /// A stroked rectangle (a table cell's border).
    Frame { x: f32, y: f32, w: f32, h: f32 },
    /// Filled squares: a QR code's dark modules, `module` points each, runs per row.
    Modules {
        x: f32,
        y: f32,
        module: f32,
        runs: Runs,
    },
}

fn draw(fonts: &Fonts, surface: &mut krilla::surface::Surface<'_>, op: &Op) {
    match op {
        Op::Text {
            x,
            baseline,
            size,
            bold,
            text,
        } => {
            let face = fonts.face(*bold);
            let glyphs: Vec<KrillaGlyph> = text
                .char_indices()
                .map(|(at, c)| {
                    let (gid, adv) = face.glyph(c);
                    KrillaGlyph::new(
                        GlyphId::new(gid),
                        adv,
                        0.0,
                        0.0,
                        0.0,
                        at..at + c.len_utf8(),
                        None,
                    )
                })
                .collect();
            surface.set_fill(Some(Fill::default()));
            surface.set_stroke(None);
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &glyphs,
                face.font.clone(),
                text,
                *size,
                false,
            );
        }
        Op::Frame { x, y, w, h } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    width: 0.6,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Op::Modules { x, y, module, runs } => {
            let mut pb = PathBuilder::new();
            for (row, start, len) in runs {
                if let Some(r) = Rect::from_xywh(
                    x + *start as f32 * module,
                    y + *row as f32 * module,
                    *len as f32 * module,
                    *module,
                ) {
                    pb.push_rect(r);
                }
            }
            if let Some(path) = pb.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill::default()));
                surface.draw_path(&path);
            }
        }
    }
}

/// The dark modules of a QR code of `data`, as runs (row, first column, length),
/// with the code's width in modules; `None` if `data` is too long for a code.
/// Dark modules as (row, first column, length).
pub type Runs = Vec<(usize, usize, usize)>;

/// The dark modules of a QR code of `data`, as runs, with the code's width in
/// modules; `None` if `data` is too long for a code.
fn qr_runs(data: &str) -> Option<(usize, Runs)> {
    let q = qrcode::QrCode::new(data.as_bytes()).ok()?;
    Some((q.width(), dark_runs(&q)))
}

/// A code's dark modules as runs along each row (row, first column, length): what
/// a page or an SVG fills, one rectangle a run.
pub fn dark_runs(q: &qrcode::QrCode) -> Runs {
    let width = q.width();
    let colors = q.to_colors();
    let mut runs = Vec::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != qrcode::Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == qrcode::Color::Dark {
                x += 1;
            }
            runs.push((y, start, x - start));
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fangsong_installed_is_found_the_licensed_face_first() {
        let root = std::env::temp_dir().join(format!("liancha-fonts-{}", std::process::id()));
        let deep = root.join("truetype/zhuque");
        let win = root.join("win/fonts");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(&win).unwrap();
        assert_eq!(find_fangsong(&[root.as_path()]), None);
        std::fs::write(root.join("NotoSerifCJK-Regular.ttc"), b"").unwrap();
        std::fs::write(deep.join("ZhuqueFangsong-Regular.ttf"), b"").unwrap();
        assert_eq!(
            find_fangsong(&[root.as_path()]),
            Some(deep.join("ZhuqueFangsong-Regular.ttf"))
        );
        std::fs::write(win.join("simfang.ttf"), b"").unwrap();
        assert_eq!(
            find_fangsong(&[root.as_path(), Path::new("/nonexistent")]),
            Some(win.join("simfang.ttf"))
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_document_the_text_face_cannot_set_is_set_in_the_fallback() {
        let serif = Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc");
        let sans = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
        if !serif.exists() || !sans.exists() {
            eprintln!("no Noto CJK here: not checked");
            return;
        }
        // The sans stands for a 仿宋; a character of a private-use area stands for
        // one it lacks.
        let fonts = Fonts {
            fallback: Some(Arc::new(Face::open(serif).unwrap())),
            ..Fonts::open(sans, None).unwrap()
        };
        let plain = vec![vec![Block::Para("检查通知书".into())]];
        assert_eq!(fonts.for_text(&plain).text_family(), "Noto Sans CJK SC");
        let rare = vec![vec![
            Block::Para("检查通知书".into()),
            Block::Table {
                widths: vec![1.0],
                header: vec![],
                rows: vec![vec!["张\u{E000}".into()]],
            },
        ]];
        assert_eq!(fonts.for_text(&rare).text_family(), "Noto Serif CJK SC");
        let pdf = render(
            &fonts,
            &Meta {
                title: "t",
                author: "a",
            },
            &rare,
        )
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn the_text_face_is_the_file_named() {
        let sans = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
        if !sans.exists() {
            eprintln!("no Noto CJK here: not checked");
            return;
        }
        let fonts = Fonts::open(sans, None).unwrap();
        assert_eq!(fonts.text_family(), "Noto Sans CJK SC");
    }
}
