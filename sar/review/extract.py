"""Text out of what the organisation sent: the reply's own words and its files.

At the edge, so the rules in `sar.core.review` see only plain text and tables. A
file becomes `Part`s: one per PDF page, spreadsheet sheet, CSV, JSON document or
HTML page, each with its text and, for tables, the column headers and rows.

Everything is read in memory from bytes the evidence store already holds; nothing
is written to disk. The sender is not trusted: every file, every ZIP member and the
sum of them is bounded, ZIPs are opened to a fixed depth, an entry whose real size
is larger than it declares is cut at the limit, and a file that cannot be read is
named with the reason rather than stopping the review. A PDF without a text layer
(only scanned images) is said to be so: its contents cannot be read here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_FILE = 20 * 1024 * 1024       # bytes of one file or ZIP member, once unpacked
MAX_TOTAL = 60 * 1024 * 1024      # bytes unpacked across one answer
MAX_MEMBERS = 200                 # files inside one ZIP
MAX_DEPTH = 3                     # a ZIP in a ZIP in a ZIP, no deeper
MAX_RATIO = 200                   # unpacked / packed: beyond that it is a bomb
MAX_PAGES = 300
MAX_ROWS = 5000                   # rows read per sheet or CSV
MAX_CHARS = 2_000_000             # characters of text kept per part


@dataclass
class Part:
    file: str                     # the file's name; ZIP members as "a.zip/dir/b.csv"
    where: str = ""               # "page 2", "sheet Propensities", "" for the whole file
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    body: bool = False            # the reply's own text, not a file

    def as_dict(self) -> dict:
        return {"file": self.file, "where": self.where, "text": self.text,
                "columns": self.columns, "rows": self.rows, "body": self.body}


@dataclass
class FileNote:
    file: str
    kind: str                     # pdf, docx, xlsx, csv, json, html, text, zip, ...
    size: int
    readable: bool
    note: str = ""                # why not, or what was found ("scanned images only")

    def as_dict(self) -> dict:
        return {"file": self.file, "kind": self.kind, "size": self.size,
                "readable": self.readable, "note": self.note}


@dataclass
class Extraction:
    parts: list[Part] = field(default_factory=list)
    files: list[FileNote] = field(default_factory=list)
    unpacked: int = 0


class _TooBig(Exception):
    """A bound was reached."""


def kind_of(name: str, content_type: str = "") -> str:
    ext = name.lower().rpartition(".")[2] if "." in name else ""
    by_ext = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "xlsm": "xlsx", "csv": "csv",
              "tsv": "csv", "json": "json", "html": "html", "htm": "html", "txt": "text",
              "md": "text", "zip": "zip", "eml": "text", "xml": "text"}
    if ext in by_ext:
        return by_ext[ext]
    ct = (content_type or "").lower()
    for needle, kind in (("pdf", "pdf"), ("wordprocessingml", "docx"), ("spreadsheetml", "xlsx"),
                         ("csv", "csv"), ("json", "json"), ("html", "html"), ("zip", "zip"),
                         ("text/", "text")):
        if needle in ct:
            return kind
    return "other"


def extract(body: str, files: list[tuple[str, str, bytes]], body_name: str = "body") -> Extraction:
    """The reply's text and each (name, content type, bytes) file, read within the
    bounds above."""
    out = Extraction()
    if body.strip():
        out.parts.append(Part(body_name, "", body[:MAX_CHARS], body=True))
    for name, content_type, data in files:
        _one(out, name, kind_of(name, content_type), data, depth=0)
    return out


def _one(out: Extraction, name: str, kind: str, data: bytes, depth: int) -> None:
    note = FileNote(name, kind, len(data), True)
    out.files.append(note)
    if len(data) > MAX_FILE:
        note.readable, note.note = False, f"over {MAX_FILE // (1024 * 1024)} MB: not read"
        return
    reader = _READERS.get(kind)
    if reader is None:
        note.readable, note.note = False, "a kind of file sar cannot read"
        return
    try:
        if kind == "zip":
            _zip(out, name, data, depth)
        else:
            found = reader(name, data)
            if isinstance(found, str):       # a reader's finding, e.g. a scan
                note.readable, note.note = False, found
            else:
                out.parts.extend(found)
    except _TooBig as e:
        note.readable, note.note = False, str(e)
    except Exception as e:  # noqa: BLE001 - a broken file is named, never fatal
        note.readable, note.note = False, f"could not be read ({type(e).__name__})"


def _zip(out: Extraction, name: str, data: bytes, depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise _TooBig(f"a ZIP nested more than {MAX_DEPTH} deep: not opened")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise _TooBig(f"{len(members)} files in the ZIP (more than {MAX_MEMBERS}): not opened")
        for info in members:
            inner = f"{name}/{info.filename.lstrip('/')}"
            declared = info.file_size
            if declared > MAX_FILE or (info.compress_size and
                                        declared / info.compress_size > MAX_RATIO):
                out.files.append(FileNote(inner, kind_of(info.filename), declared, False,
                                          "too large or too compressed to unpack safely"))
                continue
            if out.unpacked + declared > MAX_TOTAL:
                raise _TooBig(f"more than {MAX_TOTAL // (1024 * 1024)} MB unpacked: the rest "
                              "was not read")
            with zf.open(info) as fh:
                blob = fh.read(MAX_FILE + 1)  # a header may lie about the size
            if len(blob) > MAX_FILE:
                out.files.append(FileNote(inner, kind_of(info.filename), len(blob), False,
                                          "larger than it declared: not read"))
                continue
            out.unpacked += len(blob)
            _one(out, inner, kind_of(info.filename), blob, depth + 1)


def _office_zip_ok(data: bytes) -> None:
    """DOCX and XLSX are ZIPs too: refuse a bomb before the library unpacks it."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if len(infos) > 2000 or total > MAX_FILE * 3 or total / packed > MAX_RATIO:
            raise _TooBig("an office file that unpacks too large: not read")


def _text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for enc in ("utf-8", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _plain(name: str, data: bytes) -> list[Part]:
    return [Part(name, "", _text(data)[:MAX_CHARS])]


def _pdf(name: str, data: bytes) -> list[Part] | str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:  # noqa: BLE001
            return "an encrypted PDF: not read"
    parts = []
    for i, page in enumerate(reader.pages[:MAX_PAGES], 1):
        # Layout mode keeps a skewed or columned page's lines in reading order.
        try:
            text = page.extract_text(extraction_mode="layout")
        except Exception:  # noqa: BLE001 - fall back to the plain reading order
            text = page.extract_text() or ""
        text = "\n".join(re.sub(r"\s{3,}", "   ", line).strip() for line in text.splitlines())
        if text.strip():
            parts.append(Part(name, f"page {i}", text[:MAX_CHARS]))
    if not parts:
        return ("a PDF of scanned images only, with no text layer: sar cannot read it; "
                "read it yourself or ask for a readable copy" if reader.pages
                else "an empty PDF")
    return parts


def _docx(name: str, data: bytes) -> list[Part]:
    _office_zip_ok(data)
    import docx

    doc = docx.Document(io.BytesIO(data))
    # A blank line between paragraphs, as in a letter, so each is read on its own.
    lines = [p.text for p in doc.paragraphs]
    parts = [Part(name, "", "\n\n".join(lines)[:MAX_CHARS])]
    for n, table in enumerate(doc.tables, 1):
        rows = [[c.text.strip() for c in r.cells] for r in table.rows[:MAX_ROWS]]
        if rows:
            parts.append(_table(name, f"table {n}", rows))
    return parts


def _xlsx(name: str, data: bytes) -> list[Part]:
    _office_zip_ok(data)
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parts = []
    try:
        for sheet in book.worksheets:
            rows = []
            for r in sheet.iter_rows(values_only=True):
                if len(rows) >= MAX_ROWS:
                    break
                cells = ["" if v is None else str(v) for v in r]
                if any(cells):
                    rows.append(cells)
            if rows:
                parts.append(_table(name, f"sheet {sheet.title}", rows))
    finally:
        book.close()
    return parts


def _csv(name: str, data: bytes) -> list[Part]:
    text = _text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for r in csv.reader(io.StringIO(text), dialect):
        if len(rows) >= MAX_ROWS:
            break
        if any(c.strip() for c in r):
            rows.append([c.strip() for c in r])
    return [_table(name, "", rows)] if rows else []


def _table(name: str, where: str, rows: list[list[str]]) -> Part:
    """A table as a part: its first row as the columns, and a text of
    `column: value` lines so the sentence rules can read it too."""
    columns, body = rows[0], rows[1:]
    lines = [" | ".join(columns)]
    for r in body:
        lines.append("; ".join(f"{c}: {v}" for c, v in zip(columns, r, strict=False) if v))
    return Part(name, where, "\n".join(lines)[:MAX_CHARS], columns, body)


def _json(name: str, data: bytes) -> list[Part]:
    doc = json.loads(_text(data))
    lines: list[str] = []
    keys: list[str] = []

    def walk(node, path: str, depth: int) -> None:
        if len(lines) > MAX_ROWS * 4 or depth > 40:
            return
        if isinstance(node, dict):
            for k, v in node.items():
                keys.append(str(k))
                walk(v, f"{path}.{k}" if path else str(k), depth + 1)
        elif isinstance(node, list):
            for v in node:
                walk(v, path, depth + 1)
        else:
            lines.append(f"{path}: {node}")

    walk(doc, "", 0)
    return [Part(name, "", "\n".join(lines)[:MAX_CHARS], list(dict.fromkeys(keys)), [])]


class _HTMLText(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "section", "article", "header", "footer", "ul", "ol", "dt", "dd", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in ("td", "th"):
            self.out.append(" | ")
        elif tag in self._BLOCK:
            self.out.append("\n\n" if tag in ("p", "h1", "h2", "h3", "h4", "table") else "\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self._BLOCK:
            self.out.append("\n\n" if tag in ("p", "h1", "h2", "h3", "h4", "table") else "\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(html: str) -> str:
    """Readable text of an HTML page: blocks on their own lines, table cells
    joined by ` | `, no scripts or styles."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _html(name: str, data: bytes) -> list[Part]:
    return [Part(name, "", html_text(_text(data))[:MAX_CHARS])]


_READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "csv": _csv, "json": _json,
            "html": _html, "text": _plain, "zip": _zip}
