#!/usr/bin/env python3
"""Writes the committed seed corpus of the fuzz targets: fuzz/corpus/<target>/.

Run from anywhere: python3 fuzz/seeds.py. Deterministic (fixed zip dates), so
re-running it changes nothing unless this script changes. The draw vectors
come from crates/draw/tests/vectors (the copy of the spec's vectors) and
crates/draw/tests/vectors-v2 (liancha-draw/2, teams holding a specialty).
"""

import json
import pathlib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
VECTORS = ROOT / "crates" / "draw" / "tests" / "vectors"
VECTORS_V2 = ROOT / "crates" / "draw" / "tests" / "vectors-v2"


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (d / name).write_bytes(data)


# --- json / draw / verify: the spec vectors ---------------------------------

for path in sorted(VECTORS.glob("*.json")) + sorted(VECTORS_V2.glob("*.json")):
    raw = path.read_bytes()
    put("json", path.name, raw)
    put("verify", path.name, raw)
    doc = json.loads(raw)
    # A record minus its outputs is a draw input; inputs are used as they are.
    inp = {k: doc[k] for k in ("format", "plan", "reveal", "committed_at") if k in doc}
    put("draw", path.name, json.dumps(inp, ensure_ascii=False, indent=1))

for name, text in {
    "scalars.json": '[null, true, false, 0, -1, 9007199254740991, -9007199254740991, "", "\\u0000\\b\\f\\n\\r\\t\\"\\\\\\/"]',
    "surrogates.json": '{"a": "\\ud83d\\ude00", "\\ue000": 1, "\U0001F600": 2, "z": {}}',
    "nested.json": "[" * 40 + "{}" + "]" * 40,
    "bad-exponent.json": "1e3",
    "bad-dup.json": '{"a": 1, "a": 2}',
}.items():
    put("json", name, text)

put("draw", "minimal.json", json.dumps({
    "format": "liancha-draw/1",
    "plan": {
        "task": {"id": "T-1"},
        "entities": [{"id": "e1", "stratum": "A", "township": "t1"},
                     {"id": "e2", "stratum": "A"},
                     {"id": "e3", "stratum": "B", "township": "t2"}],
        "quotas": [{"stratum": "A", "count": 1}, {"stratum": "B", "ratio_bp": 5000}],
        "inspectors": [{"id": "i1", "department": "d1", "township": "t1"},
                       {"id": "i2", "department": "d2"},
                       {"id": "i3", "department": "d1", "township": "t2"},
                       {"id": "i4", "department": "d2", "township": "t1"}],
        "conflicts": [{"inspector": "i1", "entity": "e3"}],
        "teams": {"count": 2, "size": 2, "departments": ["d1", "d2"], "avoid_same_township": True},
        "sources": ["体彩排列5 第26321期开奖号码", "drand quicknet round 1000"],
    },
    "reveal": ["3 5 7 1 9", "00" * 48],
    "committed_at": "2026-01-01T00:00:00Z",
}, ensure_ascii=False))

# --- uscc -------------------------------------------------------------------

for i, code in enumerate([
    "91350100M000100Y43",   # the example printed in GB 32100-2015
    "91510100MA61R2XK3Q",
    "92510104MA6CX0XX1A",
    " 91350100m000100y43 ",
    "91350100M000100Y4",
    "91350100M000100Y44",
    "9135010OM000100Y43",
    "913501００M000100Y4",
]):
    put("uscc", f"{i:02}", code)

# --- csv (first byte picks the name: 0 .csv, 1 .tsv, 2 .txt) ------------------

CSV = "统一社会信用代码,名称,类型,乡镇,成立日期\r\n91350100M000100Y43,\"某某餐饮, 有限公司\"\"总店\"\"\",企业,共和镇,2024-01-31\r\n\r\n,只有名称,,,\r\n"
for name, prefix, body in [
    ("utf8.csv", b"\0", CSV.encode("utf-8")),
    ("utf8-bom.csv", b"\0", b"\xef\xbb\xbf" + CSV.encode("utf-8")),
    ("gb18030.csv", b"\0", CSV.encode("gb18030")),
    ("utf16le.csv", b"\0", b"\xff\xfe" + CSV.encode("utf-16-le")),
    ("utf16be.csv", b"\0", b"\xfe\xff" + CSV.encode("utf-16-be")),
    ("tab.tsv", b"\1", CSV.replace(",", "\t").encode("utf-8")),
    ("semicolon.txt", b"\2", CSV.replace(",", ";").encode("gb18030")),
    ("multiline.csv", b"\0", "名称,代码\n\"甲\n乙\",001\n丙,\"2\n".encode("utf-8")),
    ("dup-header.csv", b"\0", "名称,代码,名称 \n1,2,3\n".encode("utf-8")),
    ("blank.csv", b"\0", b"\r\n , \r\n\r\n"),
]:
    put("csv", name, prefix + body)

# --- xlsx: the smallest workbooks Excel would write -------------------------

CT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WB_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="49" applyNumberFormat="1"/></cellXfs></styleSheet>"""
SST = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>统一社会信用代码</t></si><si><t>名称</t></si><si><t xml:space="preserve"> 某某餐饮有限公司 </t></si><si><r><t>成立</t></r><r><t>日期</t></r></si></sst>"""


def workbook(hidden_first):
    state = ' state="hidden"' if hidden_first else ""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="填写说明"{state} sheetId="1" r:id="rId1"/><sheet name="检查对象" sheetId="2" r:id="rId2"/></sheets></workbook>"""


def sheet(rows, dimension):
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"""


DATA = (
    '<row r="2"><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>3</v></c></row>'
    '<row r="3"><c r="B3" t="inlineStr"><is><t>91350100M000100Y43</t></is></c><c r="C3" t="s"><v>2</v></c><c r="D3" s="1"><v>45322</v></c></row>'
    '<row r="5"><c r="B5" t="str"><f>"x"</f><v>公式</v></c><c r="C5" t="b"><v>1</v></c><c r="D5"><v>1.5E+17</v></c><c r="E5" t="e"><v>#N/A</v></c></row>'
)
NOTE = '<row r="1"><c r="A1" t="inlineStr"><is><t>说明</t></is></c></row>'


def xlsx(hidden_first, data, dimension="B2:E5"):
    parts = [
        ("[Content_Types].xml", CT),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", workbook(hidden_first)),
        ("xl/_rels/workbook.xml.rels", WB_RELS),
        ("xl/styles.xml", STYLES),
        ("xl/sharedStrings.xml", SST),
        ("xl/worksheets/sheet1.xml", sheet(NOTE, "A1")),
        ("xl/worksheets/sheet2.xml", sheet(data, dimension)),
    ]
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            # Stored, not deflated: the fuzzer can then mutate the XML itself.
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, text)
    return buf.getvalue()


put("xlsx", "first-sheet-note.xlsx", xlsx(False, DATA))
put("xlsx", "hidden-note.xlsx", xlsx(True, DATA))
put("xlsx", "no-dimension.xlsx", xlsx(True, DATA, dimension="A1"))
# Odd first byte: worksheet, shared strings and styles XML, which the target zips.
SEP = "\n=====\n"
def parts(*xml):
    return b"\x01" + SEP.join(xml).encode("utf-8")
put("xlsx", "parts-sheet", parts(sheet(DATA, "B2:E5"), SST, STYLES))
put("xlsx", "parts-sheet-only", parts(sheet(NOTE + DATA.replace(' t="s"', ' t="str"'), "A1:E5")))
put("xlsx", "parts-merged", parts(sheet(DATA, "B2:E5").replace("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="B2:C3"/></mergeCells>'), SST))
put("xlsx", "text-as-xls", "名称\t代码\r\n甲\t001\r\n".encode("gb18030"))
put("xlsx", "html-as-xls", b"<html><table><tr><td>1</td></tr></table></html>")
