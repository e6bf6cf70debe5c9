"""Checks made on a report file before any parser is trusted with it.

Every check here runs in bounded time and memory, whatever the file holds:

* ``check_size``: the file size against a fixed limit per format, from ``stat`` alone.
* ``decode_text``: CSV bytes as UTF-8 (with or without a byte-order mark) or, only when
  the result is plausible Cyrillic (``cp1251``), Windows-1251; anything else is refused.
  ``csv_encoding`` decides the same for a file, a 1 MB block at a time.
* ``mojibake_reason``: text that was decoded with the wrong code page and saved again
  ("РњР’Р”", "Ð¡Ð»Ð¾Ð²Ð¾", "�") is named, so it is refused instead of loaded.
* ``inspect_xlsx``: the zip container of a workbook, read from its central directory
  (sizes, compression ratio, number of parts) before anything is decompressed; then
  every part is read in 1 MB chunks so that a truncated or damaged archive fails its
  CRC here; every XML part is checked with defusedxml for a DTD (entity expansion
  "billion laughs", external entities); worksheet parts are scanned for merged cells
  and formulas. Only then does openpyxl open the workbook.
* ``file_sha256``: a file's identity (the SHA-256 of its bytes), for every file taken in.
* ``escape_formula`` / ``unescape_formula``: the OWASP CSV-injection escape for text
  exported to a spreadsheet-readable file, and its exact inverse for reading it back.

Python's ``zipfile`` never returns more bytes for a part than the central directory
declares (a part that inflates to more fails its CRC check), so the declared sizes
checked here bound what any later reader can be made to decompress.
"""

from __future__ import annotations

import codecs
import hashlib
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from programme_monitoring.report_format.cp1251 import plausible_cyrillic

MB = 1024 * 1024

# Limits, checked before reading. A year's report is well under 1 MB; a large annex (or a
# URS-style extract) reaches a million rows: about 120 MB of CSV, read in chunks. XLSX and
# JSON are read whole, so they stay small: 100,000 rows are about 3 MB of XLSX (15 MB of
# sheet XML) or 10 MB of JSON.
MAX_FILE_BYTES = {"csv": 300 * MB, "json": 50 * MB, "xlsx": 50 * MB}
XLSX_MAX_PARTS = 10_000  # files inside the workbook's zip
XLSX_MAX_UNCOMPRESSED = 300 * MB  # all parts together, as declared by the central directory
XLSX_BOMB_RATIO = 100  # a part inflating more than 100x ...
XLSX_BOMB_MIN_BYTES = 10 * MB  # ... to more than 10 MB is a zip bomb, not a report
MAX_DATA_ROWS = 2_000_000  # indicator values + measures in one report
_CHUNK = MB


class UnsafeFile(ValueError):
    """The file is refused before parsing; the message says why and what to do (``ru``: the
    same in Russian, where the check words it; else the reader words it)."""

    def __init__(self, reason: str, ru: str = "") -> None:
        super().__init__(reason)
        self.ru = ru


def check_size(path: Path, fmt: str) -> int:
    """The file size in bytes; refuses an empty file or one over the format's limit."""
    size = Path(path).stat().st_size
    if size == 0:
        raise UnsafeFile("the file is empty", "файл пуст")
    if reason := size_refusal(size, fmt):
        raise UnsafeFile(*reason)
    return size


def size_limit(fmt: str) -> tuple[int, str, str]:
    """(limit in bytes, what it is the limit for in English and in Russian) of a format; any
    other name gets the largest limit (the intake refuses it anyway, once read)."""
    if fmt in MAX_FILE_BYTES:
        return MAX_FILE_BYTES[fmt], f".{fmt} reports", f"отчёта .{fmt}"
    return max(MAX_FILE_BYTES.values()), "any report", "любого отчёта"


def size_refusal(size: int, fmt: str) -> tuple[str, str] | None:
    """Why a file of ``size`` bytes in format ``fmt`` is refused unread (English, Russian), or None."""
    limit, what, what_ru = size_limit(fmt)
    if size <= limit:
        return None
    return (
        f"the file is {size / MB:.1f} MB, over the {limit // MB} MB limit for {what}: "
        "a yearly report is far smaller; check that this is the right file",
        f"файл размером {size / MB:.1f} МБ больше предельного размера {limit // MB} МБ для "
        f"{what_ru}: годовой отчёт намного меньше; проверьте, тот ли это файл",
    )


# --- text encodings -----------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV file: a UTF-8 byte-order mark -> utf-8-sig; valid UTF-8 ->
    utf-8; otherwise Windows-1251 only if the result is plausible Cyrillic text."""
    encoding, bad_byte = _check_encoding([data])
    if encoding != "cp1251":
        return data.decode(encoding), encoding
    _judge_cp1251([data], bad_byte)
    return data.decode("cp1251"), "cp1251"


def _judge_cp1251(blocks: Iterable[bytes], bad_byte: int | None) -> None:
    """Refuses text that is not UTF-8 (from ``bad_byte``) unless it reads as Windows-1251 Cyrillic."""
    if plausible_cyrillic(blocks):
        return
    raise UnsafeFile(
        f"the file is not UTF-8 text (byte {bad_byte}) and does not read as Windows-1251 Cyrillic "
        "either (a Windows-1252 file, for one, would give words mixing Latin and Cyrillic letters): "
        "save it as 'CSV UTF-8'"
    )


def csv_encoding(path: Path) -> str:
    """The encoding of a CSV file, decided as ``decode_text`` decides it but read in 1 MB
    blocks, so that a large file is checked without holding it in memory."""
    with Path(path).open("rb") as stream:
        encoding, bad_byte = _check_encoding(iter(lambda: stream.read(_CHUNK), b""))
        if encoding == "cp1251":  # judged on its whole text, read again
            stream.seek(0)
            _judge_cp1251(iter(lambda: stream.read(_CHUNK), b""), bad_byte)
    return encoding


def _check_encoding(blocks: Iterable[bytes]) -> tuple[str, int | None]:
    """(utf-8-sig or utf-8, None), or ("cp1251", first byte that is not UTF-8) for the caller
    to judge; refuses UTF-16, NUL bytes and a byte-order mark followed by non-UTF-8."""
    decoder, offset, bom = codecs.getincrementaldecoder("utf-8")(), 0, None
    for block in blocks:
        if bom is None:
            if block.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise UnsafeFile("the file is UTF-16 text (Excel 'Unicode text'): save it as 'CSV UTF-8'")
            bom = block.startswith(b"\xef\xbb\xbf")
        if (nul := block.find(b"\x00")) >= 0:
            raise UnsafeFile(
                f"the file contains NUL bytes (from byte {offset + nul}): not CSV text; it may be damaged, "
                "padded with zeros after a failed copy, or UTF-16: save it as 'CSV UTF-8' and send it again"
            )
        try:
            decoder.decode(block, final=False)
        except UnicodeDecodeError as exc:
            return _not_utf8(offset - len(decoder.getstate()[0]) + exc.start, bool(bom))
        offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return _not_utf8(offset - len(exc.object) + exc.start, bool(bom))
    return ("utf-8-sig" if bom else "utf-8"), None


def _not_utf8(position: int, bom: bool) -> tuple[str, int]:
    if bom:
        raise UnsafeFile(
            f"the file starts with a UTF-8 byte-order mark but byte {position} is not UTF-8: "
            "save it again as CSV UTF-8"
        )
    return "cp1251", position


# UTF-8 bytes of Cyrillic letters (D0 xx, D1 xx) shown as Windows-1251: "Р"/"С" followed by
# the Windows-1251 character of the second byte. Some of those characters never occur in
# Russian text after Р or С (strong signs); the others (quotes, dashes, "ё", "№", …) count
# only when repeated.
# (0x98, the second byte of "И" and "ш", is undefined in Windows-1251; some tools give U+0098.)
_CP1251_OF_D0 = bytes([0x81, *range(0x90, 0xC0)]).decode("cp1251", "ignore") + "\u0098"
_CP1251_OF_D1 = bytes(range(0x80, 0xA0)).decode("cp1251", "ignore") + "\u0098"
_WEAK = "‘’“”„…•–—«»\u00a0\u00ad°±№ёЁЄєІіЇїҐґ"
_MOJIBAKE_CP1251 = re.compile(f"Р[{re.escape(_CP1251_OF_D0)}]|С[{re.escape(_CP1251_OF_D1)}]")
# The same bytes shown as Latin-1 / Windows-1252: "Ð¡Ð»Ð¾Ð²Ð¾"; "Ã©" for a Latin "é".
_MOJIBAKE_LATIN = re.compile(
    "[ÐÑ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|Ã[\u0080-\u00bf]|Â[\u00a0-\u00bf]"
)


# Every text mojibake_reason can object to holds one of these characters: a bulk reader
# looks for them first and asks mojibake_reason only about the values that have one.
MOJIBAKE_MARKERS = "[\ufffdÐÑÃÂРС]"


def mojibake_reason(text: str) -> str | None:
    """Why ``text`` looks damaged by a wrong code page, or None if it looks fine."""
    if "\ufffd" in text:
        return "the text contains '\ufffd' (a character lost to a wrong encoding)"
    latin = _MOJIBAKE_LATIN.findall(text)
    cyrillic = _MOJIBAKE_CP1251.findall(text)
    strong = [m for m in cyrillic if m[1] not in _WEAK]
    if latin or strong or len(cyrillic) >= 2:
        sample = (latin or strong or cyrillic)[:3]
        return (
            f"the text looks like mojibake ({', '.join(repr(s) for s in sample)}…): UTF-8 text that was "
            "opened with a wrong code page and saved again; retype it or export it again as UTF-8"
        )
    return None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MB blocks: the identity of every file
    the project takes in (ledgers, archive names, provenance)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(MB):
            digest.update(block)
    return digest.hexdigest()


# --- spreadsheet formula injection ----------------------------------------------------------

# OWASP "CSV injection": a cell starting with one of these is taken for a formula by
# Excel, LibreOffice and Google Sheets (tab and carriage return as well).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def needs_formula_escape(text: str) -> bool:
    """Text a spreadsheet would take for a formula (or an already escaped such text)."""
    return text[:1] in FORMULA_TRIGGERS or (text[:1] == "'" and needs_formula_escape(text[1:]))


def escape_formula(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would evaluate ("=1+2" -> "'=1+2").

    Reversible: ``unescape_formula(escape_formula(t)) == t`` for every t, including text
    that already starts with a quote before a trigger ("'=x" -> "''=x").
    """
    return "'" + text if needs_formula_escape(text) else text


def unescape_formula(text: str) -> str:
    """The exact inverse of ``escape_formula``; other text is returned unchanged."""
    return text[1:] if text[:1] == "'" and needs_formula_escape(text[1:]) else text


# --- XLSX containers --------------------------------------------------------------------------


# The columns a reader reads in a report sheet: A to Z (the template uses A to E). A value
# beyond is refused (``SheetPart.far_value``); empty cells beyond cost nothing, since the
# reader never builds rows wider than this.
XLSX_MAX_COLUMNS = 26
XLSX_MAX_HIDDEN_ROWS = 100_000  # hidden rows remembered per sheet; more are refused


@dataclass(frozen=True)
class SheetPart:
    name: str
    state: str  # "visible", "hidden" or "veryHidden"
    part: str  # path of the sheet's XML inside the zip, e.g. "xl/worksheets/sheet1.xml"
    merged: tuple[str, ...] = ()  # merged ranges, e.g. ("A5:B5",)
    has_formulas: bool = False
    hidden_rows: frozenset[int] = frozenset()  # row numbers hidden (or of zero height)
    hidden_columns: tuple[tuple[int, int], ...] = ()  # (first, last) column numbers hidden
    far_value: str = ""  # the first cell beyond column XLSX_MAX_COLUMNS that holds a value


@dataclass(frozen=True)
class XlsxLayout:
    sheets: list[SheetPart] = field(default_factory=list)


_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([^"]{1,64})"')
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or a password-protected workbook


def _check_container(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > XLSX_MAX_PARTS:
        raise UnsafeFile(f"the workbook has {len(infos)} parts (limit {XLSX_MAX_PARTS}): not a report")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeFile(f"part {info.filename} is encrypted: save the workbook without a password")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > XLSX_BOMB_MIN_BYTES and ratio > XLSX_BOMB_RATIO:
            raise UnsafeFile(
                f"part {info.filename} would inflate {ratio:.0f}x to {info.file_size / MB:.0f} MB "
                f"(limit {XLSX_BOMB_RATIO}x above {XLSX_BOMB_MIN_BYTES // MB} MB): refused as a zip bomb "
                "before opening the workbook"
            )
    if total > XLSX_MAX_UNCOMPRESSED:
        raise UnsafeFile(
            f"the workbook would inflate to {total / MB:.0f} MB (limit {XLSX_MAX_UNCOMPRESSED // MB} MB): "
            "refused before opening the workbook"
        )
    return infos


def _check_xml_prolog(zf: zipfile.ZipFile, name: str) -> None:
    """A DTD can only stand before the root element: parse up to the root's start tag with
    defusedxml, which refuses any DTD, entity declaration or external reference."""
    try:
        with zf.open(name) as stream:
            for _event in SafeET.iterparse(
                stream, events=("start",), forbid_dtd=True, forbid_entities=True, forbid_external=True
            ):
                break
    except DefusedXmlException as exc:
        raise UnsafeFile(
            f"part {name} declares a DTD or XML entities ({type(exc).__name__}): an Excel workbook has "
            "none (entity expansion 'billion laughs' or external entities); refused before opening "
            "the workbook"
        ) from None
    except ParseError as exc:
        if name.lower().endswith(".vml"):
            return  # legacy VML (comment boxes) is often not well-formed; expat stops at the error anyway
        raise UnsafeFile(f"part {name} is not well-formed XML ({exc}): the workbook is damaged") from None


_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ROW = re.compile(_PREFIX + rb"row\b([^>]{0,2000})>")
_COL = re.compile(_PREFIX + rb"col\b([^>]{0,2000})>")
_ATTR = re.compile(rb'\b(r|hidden|ht|min|max|width)="([^"]{0,40})"')
# A cell beyond column Z (a reference of two or three letters) with a value, formula or
# inline string inside it (an empty styled cell "<c r="XFD5" s="1"/>" does not match).
_FAR_VALUE = re.compile(
    _PREFIX + rb'c\b[^>]{0,2000}?\br="([A-Z]{2,3}\d+)"[^>]{0,2000}?(?<!/)>\s*' + _PREFIX + rb"(?:v|is|f)\b"
)


@dataclass
class _Scan:
    merged: set[str] = field(default_factory=set)
    formulas: bool = False
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[tuple[int, int]] = field(default_factory=set)
    far_value: str = ""

    def window(self, window: bytes) -> None:
        """Scan ``window`` (it overlaps the last one: what is found twice is kept once)."""
        self.merged.update(m.decode("ascii", "replace") for m in _MERGE.findall(window))
        self.formulas = self.formulas or _FORMULA.search(window) is not None
        for match in _ROW.finditer(window):
            attrs = dict(_ATTR.findall(match.group(1)))
            if _hidden(attrs, b"ht") and attrs.get(b"r", b"").isdigit():
                self.hidden_rows.add(int(attrs[b"r"]))
        if len(self.hidden_rows) > XLSX_MAX_HIDDEN_ROWS:
            raise UnsafeFile(f"a sheet has more than {XLSX_MAX_HIDDEN_ROWS:,} hidden rows: not a report")
        for match in _COL.finditer(window):
            attrs = dict(_ATTR.findall(match.group(1)))
            if (
                _hidden(attrs, b"width")
                and attrs.get(b"min", b"").isdigit()
                and attrs.get(b"max", b"").isdigit()
            ):
                self.hidden_columns.add((int(attrs[b"min"]), int(attrs[b"max"])))
        if not self.far_value and (far := _FAR_VALUE.search(window)):
            self.far_value = far.group(1).decode("ascii")


def _hidden(attrs: dict[bytes, bytes], size: bytes) -> bool:
    """A row or column element marked hidden, or given a zero height / width."""
    if attrs.get(b"hidden", b"").lower() in (b"1", b"true"):
        return True
    try:
        return size in attrs and float(attrs[size]) == 0
    except ValueError:
        return False


def _read_part(zf: zipfile.ZipFile, name: str, scan: bool) -> _Scan:
    """Read a part to its end (zipfile checks its CRC); for a worksheet also collect the
    merged ranges, whether any cell holds a formula, hidden rows and columns, and the first
    value beyond column Z."""
    found = _Scan()
    tail = b""
    with zf.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            if scan:
                window = tail + chunk
                found.window(window)
                tail = window[-4096:]
    return found


def _relationships(zf: zipfile.ZipFile, rels_name: str, base: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of a .rels part; targets resolved against ``base``."""
    if rels_name not in zf.NameToInfo:
        return {}
    root = SafeET.fromstring(zf.read(rels_name), forbid_dtd=True)
    out = {}
    for rel in root:
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        out[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(part))
    return out


def _sheets(zf: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(name, state, part) of each worksheet, in workbook order."""
    package = _relationships(zf, "_rels/.rels", "")
    workbook = next((p for t, p in package.values() if t.endswith("/officeDocument")), "xl/workbook.xml")
    if workbook not in zf.NameToInfo:
        raise UnsafeFile("the file is a zip archive but not an Excel workbook: save it as Excel .xlsx")
    folder = posixpath.dirname(workbook)
    rels = _relationships(zf, posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels"), folder)
    root = SafeET.fromstring(zf.read(workbook), forbid_dtd=True)
    sheets = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.startswith("{") and k.endswith("}id")), "")
        sheets.append(
            (element.get("name", ""), element.get("state", "visible"), rels.get(rel_id, ("", ""))[1])
        )
    return sheets


def inspect_xlsx(path: Path) -> XlsxLayout:
    """Check a workbook's container and parts before a spreadsheet reader opens it."""
    with open(path, "rb") as handle:
        magic = handle.read(8)
    if magic == _CFB_MAGIC:
        raise UnsafeFile(
            "this is an old Excel .xls file or a password-protected workbook: save it as .xlsx "
            "without a password"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _check_container(zf)
            for info in infos:
                if info.filename.lower().endswith(_XML_SUFFIXES):
                    _check_xml_prolog(zf, info.filename)
            sheets = _sheets(zf)
            worksheet_parts = {part for _, _, part in sheets}
            scanned = {}
            for info in infos:
                if not info.is_dir():
                    scanned[info.filename] = _read_part(zf, info.filename, info.filename in worksheet_parts)
    except zipfile.BadZipFile as exc:
        raise UnsafeFile(
            f"not a complete .xlsx workbook: the zip archive is truncated or damaged ({exc}); "
            "send the file again"
        ) from None
    except ParseError as exc:
        raise UnsafeFile(f"the workbook's XML is not well-formed ({exc}): the workbook is damaged") from None
    except (zlib.error, EOFError, OSError) as exc:
        raise UnsafeFile(
            f"not a complete .xlsx workbook: a part cannot be decompressed ({type(exc).__name__}: {exc}); "
            "send the file again"
        ) from None
    layout = XlsxLayout()
    for name, state, part in sheets:
        found = scanned.get(part, _Scan())
        layout.sheets.append(
            SheetPart(
                name,
                state,
                part,
                tuple(sorted(found.merged)),
                found.formulas,
                frozenset(found.hidden_rows),
                tuple(sorted(found.hidden_columns)),
                found.far_value,
            )
        )
    return layout


def encoding_refusal_ru(reason: str) -> str:
    """The Russian refusal of a file ``csv_encoding`` refused (its reason is English)."""
    if "UTF-16" in reason:
        return "файл в кодировке UTF-16 (Excel «Текст в Юникоде»): сохраните его как «CSV UTF-8»"
    if "NUL" in reason:
        return (
            "в файле есть нулевые байты: это не текст CSV; возможно, файл повреждён или в UTF-16: "
            "сохраните его как «CSV UTF-8» и направьте повторно"
        )
    if "byte-order mark" in reason:
        return "файл начинается с метки UTF-8, но дальше не UTF-8: сохраните его заново как «CSV UTF-8»"
    return (
        "файл не в кодировке UTF-8 и не читается как кириллица Windows-1251 (например, текст в "
        "западноевропейской кодировке Windows-1252 дал бы слова вперемешку латиницей и кириллицей): "
        "сохраните его как «CSV UTF-8»"
    )
