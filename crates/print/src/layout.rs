//! Line breaking and page filling.

use super::*;

/// Characters that may not begin a line (Chinese 避头点: closing punctuation).
const NO_START: &str = "，。、；：！？）」』》〉】〕”’…—,.;:!?)]}%";
/// Characters that may not end a line (opening punctuation).
const NO_END: &str = "（「『《〈【〔“‘([{";

/// Whether `c` belongs to a run kept whole on a line when it can be (a number, a
/// code, an address of a web page).
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./:?=&#%+@~".contains(c)
}

/// Breaks `text` into lines no wider than `width` by `measure` (the width of a
/// piece of text): anywhere between Chinese characters, between words of Latin
/// letters and digits (a word longer than a line is broken where it must), never
/// before closing or after opening punctuation. Line breaks in `text` are kept.
pub fn wrap(text: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    // A browser's textarea sends CRLF: a line break, not a character to draw.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for para in text.split('\n') {
        wrap_line(para, width, measure, &mut lines);
    }
    lines
}

fn wrap_line(text: &str, width: f32, measure: &dyn Fn(&str) -> f32, out: &mut Vec<String>) {
    // Units that stay on one line: a word, or a character with the punctuation
    // that must follow (or precede) it.
    let mut units: Vec<String> = Vec::new();
    let mut glue_next = false;
    for c in text.chars() {
        let attach = match units.last() {
            None => false,
            Some(last) => {
                glue_next
                    || NO_START.contains(c)
                    || (word_char(c) && last.chars().last().is_some_and(word_char))
            }
        };
        if attach {
            units.last_mut().expect("a unit").push(c);
        } else {
            units.push(c.to_string());
        }
        glue_next = NO_END.contains(c);
    }
    let mut line = String::new();
    let mut line_w = 0.0;
    for unit in units {
        let w = measure(&unit);
        if line_w + w <= width || line.is_empty() && w <= width {
            line.push_str(&unit);
            line_w += w;
            continue;
        }
        if w <= width {
            out.push(std::mem::take(&mut line));
            line_w = w;
            line.push_str(&unit);
            continue;
        }
        // Longer than a line: broken by character, filling the current line first.
        for c in unit.chars() {
            let cw = measure(c.encode_utf8(&mut [0; 4]));
            if line_w + cw > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            line.push(c);
            line_w += cw;
        }
    }
    // An empty paragraph is an empty line.
    out.push(line);
}

/// Fills pages with the blocks; each page is the ops that draw it.
pub(crate) fn lay_out(fonts: &Fonts, blocks: &[Block]) -> Vec<Vec<Op>> {
    let mut l = Pages {
        fonts,
        pages: Vec::new(),
        ops: Vec::new(),
        y: 0.0,
    };
    for (n, b) in blocks.iter().enumerate() {
        // A heading stays with the table it heads: its header and first row.
        if let (
            Block::Heading(_),
            Some(Block::Table {
                widths,
                header,
                rows,
            }),
        ) = (b, blocks.get(n + 1))
        {
            let (head, first) = l.table_start(widths, header, rows);
            l.room(HEADING * LEADING + head + first);
        }
        l.block(b);
    }
    l.flush();
    l.pages
}

struct Pages<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Used height of the text block on the current page.
    y: f32,
}

impl<'a> Pages<'a> {
    fn flush(&mut self) {
        if !self.ops.is_empty() {
            self.pages.push(std::mem::take(&mut self.ops));
        }
        self.y = 0.0;
    }

    /// Makes room for `h` points: a new page when the current one cannot hold them
    /// (a block taller than a page starts at the top and runs over the foot).
    fn room(&mut self, h: f32) {
        if self.y > 0.0 && self.y + h > TEXT_H {
            self.flush();
        }
    }

    fn measure(&self, bold: bool, size: f32) -> impl Fn(&str) -> f32 + 'a {
        let fonts: &'a Fonts = self.fonts;
        let face = fonts.face(bold);
        move |s: &str| face.width(s, size)
    }

    /// Lines of text at `x` (from the text block's left), each `size` points, in
    /// a block `width` wide; `align`: 0 left, 1 centre, 2 right.
    fn lines(&mut self, lines: &[String], indent: f32, size: f32, bold: bool, align: u8) {
        let height = size * LEADING;
        for (n, line) in lines.iter().enumerate() {
            self.room(height);
            let w = self.fonts.face(bold).width(line, size);
            let x = match align {
                1 => (TEXT_W - w) / 2.0,
                2 => TEXT_W - w,
                _ if n == 0 => indent.max(0.0),
                _ => indent.min(0.0).abs(),
            };
            self.ops.push(Op::Text {
                x: LEFT + x,
                baseline: TOP + self.y + size * 1.15,
                size,
                bold,
                text: line.clone(),
            });
            self.y += height;
        }
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Title(t) => {
                let lines = wrap(t, TEXT_W, &self.measure(true, TITLE));
                self.lines(&lines, 0.0, TITLE, true, 1);
                self.y += BODY * 0.5;
            }
            Block::Number(t) => {
                self.lines(std::slice::from_ref(t), 0.0, NUMBER, false, 1);
                self.y += BODY * 0.3;
            }
            Block::Heading(t) => {
                // A heading is not left alone at a page's foot.
                self.room(HEADING * LEADING + BODY * LEADING * 2.0);
                let lines = wrap(t, TEXT_W, &self.measure(true, HEADING));
                self.lines(&lines, 0.0, HEADING, true, 0);
            }
            Block::Para(t) => {
                let indent = BODY * 2.0;
                for para in t.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
                    let lines = wrap_indented(para, TEXT_W, indent, &self.measure(false, BODY));
                    self.lines(&lines, indent, BODY, false, 0);
                }
            }
            Block::Plain(t) => {
                let lines = wrap(t, TEXT_W, &self.measure(false, BODY));
                self.lines(&lines, 0.0, BODY, false, 0);
            }
            Block::Item { mark, text } => {
                let hang = self.fonts.face(false).width(mark, BODY).max(BODY * 2.0);
                let lines = wrap(text, TEXT_W - hang, &self.measure(false, BODY));
                let height = BODY * LEADING;
                for (n, line) in lines.iter().enumerate() {
                    self.room(height);
                    if n == 0 {
                        self.ops.push(Op::Text {
                            x: LEFT,
                            baseline: TOP + self.y + BODY * 1.15,
                            size: BODY,
                            bold: false,
                            text: mark.clone(),
                        });
                    }
                    self.ops.push(Op::Text {
                        x: LEFT + hang,
                        baseline: TOP + self.y + BODY * 1.15,
                        size: BODY,
                        bold: false,
                        text: line.clone(),
                    });
                    self.y += height;
                }
            }
            Block::Right(lines) => {
                self.lines(lines, 0.0, BODY, false, 2);
            }
            Block::Space(n) => {
                self.y += BODY * LEADING * n;
            }
            Block::Table {
                widths,
                header,
                rows,
            } => self.table(widths, header, rows),
            Block::Qr {
                data,
                caption,
                sign,
            } => self.qr(data, caption, sign),
        }
    }

    /// The heights of a table's header and first row.
    fn table_start(&self, widths: &[f32], header: &[String], rows: &[Vec<String>]) -> (f32, f32) {
        let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
        let pad = 3.0;
        let line_h = SMALL * 1.45;
        let height = |row: &[String], bold: bool| {
            let measure = self.measure(bold, SMALL);
            widths
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    wrap(
                        row.get(i).map_or("", String::as_str),
                        w / total * TEXT_W - 2.0 * pad,
                        &measure,
                    )
                    .len()
                })
                .max()
                .unwrap_or(1) as f32
                * line_h
                + 2.0 * pad
        };
        (
            if header.is_empty() {
                0.0
            } else {
                height(header, true)
            },
            // A tall first row may start at the foot and run on: three of its
            // lines are enough to keep the heading company.
            rows.first()
                .map_or(0.0, |r| height(r, false))
                .min(3.0 * SMALL * 1.45 + 6.0),
        )
    }

    fn table(&mut self, widths: &[f32], header: &[String], rows: &[Vec<String>]) {
        let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
        let cols: Vec<f32> = widths.iter().map(|w| w / total * TEXT_W).collect();
        let pad = 3.0;
        let line_h = SMALL * 1.45;
        let cells = |row: &[String], bold: bool| -> Vec<Vec<String>> {
            let measure = self.measure(bold, SMALL);
            cols.iter()
                .enumerate()
                .map(|(i, w)| {
                    wrap(
                        row.get(i).map_or("", String::as_str),
                        w - 2.0 * pad,
                        &measure,
                    )
                })
                .collect()
        };
        let head = cells(header, true);
        let head: Vec<&[String]> = head.iter().map(Vec::as_slice).collect();
        let body: Vec<Vec<Vec<String>>> = rows.iter().map(|r| cells(r, false)).collect();
        let height = |c: &[&[String]]| {
            c.iter().map(|l| l.len()).max().unwrap_or(1).max(1) as f32 * line_h + 2.0 * pad
        };
        // A form's table (label, value) has no header row.
        let head_h = if header.is_empty() {
            0.0
        } else {
            height(&head)
        };
        let first: Option<Vec<&[String]>> =
            body.first().map(|r| r.iter().map(Vec::as_slice).collect());
        self.room(head_h + first.as_deref().map_or(0.0, &height));
        if head_h > 0.0 {
            self.row(&cols, &head, head_h, true, pad, line_h);
        }
        for r in &body {
            let mut rest: Vec<&[String]> = r.iter().map(Vec::as_slice).collect();
            let mut fresh = false;
            loop {
                let h = height(&rest);
                let fit = ((TEXT_H - self.y - 2.0 * pad) / line_h).floor().max(0.0) as usize;
                // On a fresh page that cannot hold two lines (a header as tall as a
                // page) the row is set as it is: a page break would not help.
                if self.y + h <= TEXT_H || fresh && fit < 2 {
                    self.row(&cols, &rest, h, false, pad, line_h);
                    break;
                }
                // A row taller than what is left runs on to the next page: as many of
                // its lines as fit here (at least two, or none), the rest there under
                // the header again.
                if fit >= 2 {
                    let here: Vec<&[String]> =
                        rest.iter().map(|c| &c[..fit.min(c.len())]).collect();
                    self.row(
                        &cols,
                        &here,
                        fit as f32 * line_h + 2.0 * pad,
                        false,
                        pad,
                        line_h,
                    );
                    rest = rest.iter().map(|c| &c[fit.min(c.len())..]).collect();
                }
                self.flush();
                if head_h > 0.0 {
                    self.row(&cols, &head, head_h, true, pad, line_h);
                }
                fresh = true;
            }
        }
        self.y += BODY * 0.5;
    }

    fn row(
        &mut self,
        cols: &[f32],
        cells: &[&[String]],
        h: f32,
        bold: bool,
        pad: f32,
        line_h: f32,
    ) {
        let mut x = LEFT;
        for (w, lines) in cols.iter().zip(cells) {
            self.ops.push(Op::Frame {
                x,
                y: TOP + self.y,
                w: *w,
                h,
            });
            for (n, line) in lines.iter().enumerate() {
                self.ops.push(Op::Text {
                    x: x + pad,
                    baseline: TOP + self.y + pad + n as f32 * line_h + SMALL * 1.1,
                    size: SMALL,
                    bold,
                    text: line.clone(),
                });
            }
            x += w;
        }
        self.y += h;
    }

    fn qr(&mut self, data: &str, caption: &[String], sign: &[String]) {
        // Without a code (data too long to encode) the words and the sign stay.
        let code = qr_runs(data);
        let side = mm(20.0);
        let gap = mm(4.0);
        let face = self.fonts.face(false);
        let sign_w = sign.iter().map(|l| face.width(l, BODY)).fold(0.0, f32::max);
        let caption_w = TEXT_W - side - gap - if sign.is_empty() { 0.0 } else { sign_w + gap };
        let measure = self.measure(false, CAPTION);
        let mut lines = Vec::new();
        for c in caption {
            lines.extend(wrap(c, caption_w, &measure));
        }
        let text_h = lines.len() as f32 * CAPTION * 1.4;
        let sign_h = sign.len() as f32 * BODY * LEADING;
        let row = side.max(text_h).max(sign_h);
        self.room(row);
        let top = TOP + self.y;
        if let Some((width, runs)) = code {
            self.ops.push(Op::Modules {
                x: LEFT,
                y: top,
                module: side / width as f32,
                runs,
            });
        }
        for (n, line) in lines.iter().enumerate() {
            self.ops.push(Op::Text {
                x: LEFT + side + gap,
                baseline: top + n as f32 * CAPTION * 1.4 + CAPTION * 1.1,
                size: CAPTION,
                bold: false,
                text: line.clone(),
            });
        }
        // The office and date at the row's foot, flush right.
        for (n, line) in sign.iter().enumerate() {
            let w = face.width(line, BODY);
            self.ops.push(Op::Text {
                x: LEFT + TEXT_W - w,
                baseline: top + row - sign_h + n as f32 * BODY * LEADING + BODY * 1.15,
                size: BODY,
                bold: false,
                text: line.clone(),
            });
        }
        self.y += row + BODY * 0.5;
    }
}

/// Like [`wrap`] for one paragraph, its first line `indent` narrower.
fn wrap_indented(
    para: &str,
    width: f32,
    indent: f32,
    measure: &dyn Fn(&str) -> f32,
) -> Vec<String> {
    let first = wrap(para, width - indent, measure);
    let head = first.first().cloned().unwrap_or_default();
    let rest = &para[head.len()..];
    let mut out = vec![head];
    if !rest.is_empty() {
        out.extend(wrap(rest, width, measure));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each character one unit wide: lines hold `width` characters.
    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn chinese_breaks_anywhere_but_before_closing_punctuation() {
        assert_eq!(
            wrap("一二三四五六七", 3.0, &chars),
            ["一二三", "四五六", "七"]
        );
        // 「，」 may not begin a line: it goes with the character before.
        assert_eq!(wrap("一二三，四五", 3.0, &chars), ["一二", "三，四", "五"]);
        // 「（」 may not end one.
        assert_eq!(wrap("一二（三）", 3.0, &chars), ["一二", "（三）"]);
    }

    #[test]
    fn words_and_codes_stay_whole_when_they_fit() {
        assert_eq!(
            wrap("编号 ABC123 的对象", 10.0, &chars),
            ["编号 ABC123 ", "的对象"]
        );
        assert_eq!(
            wrap("编号 ABC123 的对象", 6.0, &chars),
            ["编号 ", "ABC123", " 的对象"]
        );
        // Longer than a line: broken where it must be, nothing lost.
        let lines = wrap("见 https://a.b/check?code=XYZ 页", 10.0, &chars);
        assert!(lines.iter().all(|l| chars(l) <= 10.0), "{lines:?}");
        assert_eq!(lines.concat(), "见 https://a.b/check?code=XYZ 页");
    }

    #[test]
    fn a_row_taller_than_a_page_runs_on_below_the_header() {
        let Ok(fonts) = Fonts::find() else {
            eprintln!("no CJK font here: layout on real metrics not checked");
            return;
        };
        let long = "依据".repeat(1_500);
        let blocks = [
            Block::Title("检查结果告知书".into()),
            Block::Table {
                widths: vec![1.0, 3.0],
                header: vec!["事项".into(), "发现的问题".into()],
                rows: vec![
                    vec!["一".into(), long.clone()],
                    vec!["二".into(), "短".into()],
                ],
            },
            Block::Para("末段。".into()),
        ];
        let pages = lay_out(&fonts, &blocks);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let mut text = String::new();
        for (n, page) in pages.iter().enumerate() {
            for op in page {
                match op {
                    Op::Text {
                        baseline, text: t, ..
                    } => {
                        assert!(
                            *baseline <= TOP + TEXT_H + 1.0,
                            "page {n}: {t} at {baseline}"
                        );
                        if t != "事项" && t != "发现的问题" {
                            text.push_str(t);
                        }
                    }
                    Op::Frame { y, h, .. } => {
                        assert!(y + h <= TOP + TEXT_H + 0.01, "page {n}: frame to {}", y + h)
                    }
                    Op::Modules { .. } => {}
                }
            }
            // Each page after the first begins with the table's header.
            if n > 0 && n < pages.len() - 1 {
                assert!(page.iter().any(
                    |op| matches!(op, Op::Text { text, bold: true, .. } if text == "发现的问题")
                ));
            }
        }
        assert!(
            text.contains(&long) || text.replace(' ', "").contains(&long),
            "nothing lost"
        );
        assert!(text.ends_with("末段。"));
    }

    #[test]
    fn a_form_has_no_header_row_not_even_on_later_pages() {
        let Ok(fonts) = Fonts::find() else {
            eprintln!("no CJK font here: layout on real metrics not checked");
            return;
        };
        let long = "意见".repeat(1_200);
        let blocks = [Block::Table {
            widths: vec![1.0, 3.0],
            header: vec![],
            rows: vec![
                vec!["检查任务".into(), "任务".into()],
                vec!["审批意见".into(), long.clone()],
            ],
        }];
        let pages = lay_out(&fonts, &blocks);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        // The first frame on the first page is the first row's, at the top; no page
        // draws a bold (header) cell.
        let first = pages[0].iter().find_map(|op| match op {
            Op::Frame { y, .. } => Some(*y),
            _ => None,
        });
        assert_eq!(first, Some(TOP));
        for page in &pages {
            assert!(
                !page
                    .iter()
                    .any(|op| matches!(op, Op::Text { bold: true, .. })),
                "a header row was drawn"
            );
        }
        let text: String = pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(text.contains(&long));
    }

    #[test]
    fn nothing_is_lost_and_no_line_is_too_wide() {
        let text = "根据“双随机、一公开”监管工作安排，你单位（统一社会信用代码 91532323MA6KXXXX0Q）被随机抽中。\n第二段。";
        for width in [1.0, 2.0, 5.0, 13.0, 40.0] {
            let lines = wrap(text, width, &chars);
            assert_eq!(lines.concat(), text.replace('\n', ""), "width {width}");
            for l in &lines {
                // A unit of closing punctuation may make a line one wider than asked
                // only when the line is that unit alone.
                assert!(chars(l) <= width.max(2.0), "{width}: {l:?}");
            }
        }
        assert_eq!(wrap("", 5.0, &chars), [""]);
    }
}
