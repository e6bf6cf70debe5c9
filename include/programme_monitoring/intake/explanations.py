"""Senders' explanations of findings: a small CSV dropped in the landing area (docs/finding_explanations.md).

A file named ``explanations*.csv`` in a sender's landing sub-folder (or given to
``python -m programme_monitoring findings explain FILE --sender S``) holds one line per
finding: its number (``finding_id``), the explanation, and optionally a note on the value
as it should be. It is read with the same suspicion as a report: size and row limits, the
encoding checks of ``report_format.file_safety`` (UTF-8, or Windows-1251 only when it reads
as Cyrillic; no mojibake), no control characters, no over-long text. Each accepted line
records the status ``explained`` (origin ``sender``) through ``audit.review_finding``, which
checks the step is legal; a line about a finding of another state than the sender's, an
unknown finding, or a step PostgreSQL refuses is refused with its reason in Russian and
English, and the other lines stand. The file then goes to ``<var>/archive/explanations/``
(as its SHA-256), its outcome beside it as JSON.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from programme_monitoring.reference import senders
from programme_monitoring.report_format.file_safety import (
    UnsafeFile,
    decode_text,
    file_sha256,
    mojibake_reason,
)
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.connection import warehouse_url
from programme_monitoring.warehouse.finding_reviews import ReviewRefused, review_finding, unknown_finding
from programme_monitoring.warehouse.schema import init as init_schema

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^explanations[\w.-]{0,80}\.csv$", re.IGNORECASE)
MAX_BYTES = 1024 * 1024
MAX_LINES = 2000
MAX_TEXT = 4000
# Accepted headers (case and spaces ignored): English or Russian.
COLUMNS = {
    "finding_id": ("finding_id", "finding", "номер_замечания", "номер замечания"),
    "explanation": ("explanation", "пояснение"),
    "correction": ("correction", "corrected_value", "исправление", "исправленное значение"),
}
_FINDING_ID = re.compile(r"^[0-9a-f]{16}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class LineOutcome:
    line: int
    finding_id: str
    accepted: bool
    reason_ru: str = ""
    reason_en: str = ""


@dataclass
class ExplanationOutcome:
    file_name: str
    sender: str
    sha256: str = ""
    refused_ru: str = ""  # the whole file refused (nothing recorded)
    refused_en: str = ""
    lines: list[LineOutcome] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(line.accepted for line in self.lines)


def is_explanation_file(path: Path) -> bool:
    return bool(NAME_PATTERN.match(path.name))


def take_explanations(
    path: Path, sender: str, *, url: str | None = None, archive: bool = True
) -> ExplanationOutcome:
    """Read one explanations file from ``sender`` and record what it may; archive it."""
    outcome = ExplanationOutcome(Path(path).name, sender)
    outcome.sha256 = file_sha256(path)
    try:
        known = senders().get(sender)
        if known is None:
            raise _Refusal(
                f"отправитель «{sender}» не зарегистрирован (справочник отправителей)",
                f'the sender "{sender}" is not registered (the senders reference)',
            )
        lines = _read(Path(path))
    except _Refusal as refusal:
        outcome.refused_ru, outcome.refused_en = refusal.ru, refusal.en
    else:
        init_schema(url)  # the register and the history exist (a no-op when up to date)
        with psycopg.connect(url or warehouse_url()) as conn:
            for number, finding_id, text in lines:
                outcome.lines.append(
                    _record(conn, number, finding_id, text, known.state_code, sender, path.name)
                )
    if archive and Path(path).exists():
        _archive(Path(path), outcome)
    log.info("explanations %s from %s: %d recorded, %d refused", path.name, sender, outcome.recorded,
             len(outcome.lines) - outcome.recorded)  # fmt: skip
    return outcome


class _Refusal(Exception):
    def __init__(self, ru: str, en: str) -> None:
        super().__init__(en)
        self.ru, self.en = ru, en


def _read(path: Path) -> list[tuple[int, str, str]]:
    """(line number, finding_id, text to record) per line; the whole file refused if unsafe."""
    size = path.stat().st_size
    if size == 0 or size > MAX_BYTES:
        raise _Refusal(
            f"файл пуст или больше {MAX_BYTES // 1024} КБ ({size} байт)",
            f"the file is empty or over {MAX_BYTES // 1024} KB ({size} bytes)",
        )
    try:
        text, _encoding = decode_text(path.read_bytes())
    except UnsafeFile as error:
        raise _Refusal(
            "файл не в кодировке UTF-8 и не читается как кириллица Windows-1251", str(error)
        ) from error
    if reason := mojibake_reason(text):
        raise _Refusal("текст повреждён неверной кодировкой; сохраните файл заново в UTF-8", reason)
    if _CONTROL.search(text):
        raise _Refusal("файл содержит управляющие символы", "the file contains control characters")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise _Refusal("файл пуст", "the file is empty")
    header = [cell.strip().lower().replace(" ", "_") for cell in rows[0]]
    where = {}
    for column, names in COLUMNS.items():
        found = [i for i, cell in enumerate(header) if cell in {n.replace(" ", "_") for n in names}]
        if found:
            where[column] = found[0]
    if "finding_id" not in where or "explanation" not in where:
        raise _Refusal(
            "нет столбцов «номер_замечания» и «пояснение» (или finding_id и explanation) в первой строке",
            'the first line must name the columns "finding_id" and "explanation" '
            '(or "номер_замечания" and "пояснение")',
        )
    body = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if len(body) > MAX_LINES:
        raise _Refusal(f"больше {MAX_LINES} строк", f"more than {MAX_LINES} lines")
    out = []
    for number, row in body:
        cells = {column: (row[i].strip() if i < len(row) else "") for column, i in where.items()}
        note = cells["explanation"]
        if cells.get("correction"):
            note += f"\nИсправление / Correction: {cells['correction']}"
        out.append((number, cells["finding_id"].lower(), note))
    return out


def _record(
    conn, number: int, finding_id: str, note: str, state: str, sender: str, file_name: str
) -> LineOutcome:
    def refused(ru: str, en: str) -> LineOutcome:
        return LineOutcome(number, finding_id, False, ru, en)

    if not _FINDING_ID.match(finding_id):
        return refused(
            "номер замечания — 16 шестнадцатеричных знаков, как в письме-запросе",
            "a finding number is 16 hexadecimal characters, as in the query letter",
        )
    if not note.strip():
        return refused("пояснение не заполнено", "the explanation is empty")
    if len(note) > MAX_TEXT:
        return refused(
            f"пояснение длиннее {MAX_TEXT} знаков", f"the explanation is over {MAX_TEXT} characters"
        )
    row = conn.execute(
        "select state_code from audit.findings where finding_id = %s", (finding_id,)
    ).fetchone()
    if row is None:
        ru, en = unknown_finding(finding_id).split(" / ")
        return refused(ru, en)
    if state and row[0] != state:
        return refused(
            "замечание относится к отчёту другого государства: отправитель может пояснять только свои",
            "the finding is on another state's report: a sender may explain its own findings only",
        )
    try:
        review_finding(
            finding_id, "explained", note, origin="sender", sender=sender, source_file=file_name, conn=conn
        )
    except ReviewRefused as error:
        ru, _, en = str(error).partition(" / ")
        return refused(ru, en or ru)
    conn.commit()
    return LineOutcome(number, finding_id, True)


def _archive(path: Path, outcome: ExplanationOutcome) -> None:
    folder = paths().archive / "explanations"
    folder.mkdir(parents=True, exist_ok=True)
    name = outcome.sha256 or "unreadable"
    shutil.move(str(path), folder / f"{name}.csv")
    (folder / f"{name}.json").write_text(
        json.dumps(asdict(outcome), ensure_ascii=False, indent=2), encoding="utf-8"
    )


def outcome_text(outcome: ExplanationOutcome) -> str:
    """The outcome as a reader sees it, in Russian then English."""
    if outcome.refused_en:
        return (
            f"Файл {outcome.file_name} не принят: {outcome.refused_ru}.\n"
            f"File {outcome.file_name} refused: {outcome.refused_en}."
        )
    lines = [
        f"{outcome.file_name}: записано пояснений {outcome.recorded} из {len(outcome.lines)}. / "
        f"{outcome.recorded} of {len(outcome.lines)} explanations recorded."
    ]
    for line in outcome.lines:
        if not line.accepted:
            lines.append(
                f"  строка {line.line} ({line.finding_id}): {line.reason_ru} / "
                f"line {line.line}: {line.reason_en}"
            )
    return "\n".join(lines)
