"""Reading and checking the files past the screening: parse, the intake's rules, the suites.

Whatever goes wrong while a file is read or checked refuses that file alone, with a
reason that quotes nothing of it (``unreadable``): an exception of the reader, of a rule
or of a Great Expectations suite never stops the run nor leaves the file undecided. A
failing suite is run again report by report, so that only the report it fails on is
refused. An ``OSError`` while reading is the machine's, not the file's: it propagates,
and the file stays for the next run.

The suites run in a thread (``Suites``) while the first file loads: its COPY is
PostgreSQL's and pyarrow's work, done with Python's lock released, the suites are
Python's, so the two take one time instead of two. The load commits only on their
verdict; a file they refuse is rolled back and refused as if they had run first.

A CSV report larger than ``HOLD_BYTES`` is not held: while it is read, its values go to its
head start and, slice by slice, through the suite of indicator values (``quality.slices``),
and the report keeps only the rows the checks across rows compare and what the suite found.
Its load needs its values again only if its head start failed (``values_again``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from programme_monitoring.intake import checks
from programme_monitoring.quality import slices
from programme_monitoring.quality import validation as quality
from programme_monitoring.quality.findings import Finding, reading_findings
from programme_monitoring.reference import senders
from programme_monitoring.report_format.collector import ValuesSink
from programme_monitoring.report_format.file_safety import MB
from programme_monitoring.report_format.json_reader import SECTIONS
from programme_monitoring.report_format.labels import CSV_COLUMNS, JSON_INDICATOR_KEYS, JSON_MEASURE_KEYS
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ParsedReport, ReportFormatError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".xlsx", ".csv", ".json"}
FOREIGN_PROBE_BYTES = 64 * 1024
BATCH_BYTES = 32 * MB  # files read before a batch is decided: an annex of 250,000 to 400,000 rows
# A larger report's values are checked as they are read, not held (``slices``): holding them
# is faster (the suites run once, beside the load) but takes memory in proportion. Held up to
# here, a report peaks no higher than one of any size checked as it is read (bench/README.md).
HOLD_BYTES = BATCH_BYTES
TEMPLATE_WORDS = {*CSV_COLUMNS, *SECTIONS, *JSON_INDICATOR_KEYS, *JSON_MEASURE_KEYS}


def batches(files: list[Path]) -> Iterator[list[Path]]:
    """The files in order, in batches of at most ``BATCH_BYTES`` together (a larger file alone).

    A batch's reports are all held until it is validated and loaded (the suites run once per
    programme and year of a batch, and the versions of one report load in version order), so
    the batch, not the landing area, bounds the run's memory: ten annexes of 2,000,000 rows
    would otherwise be held at once (garbage is collected between batches: GX holds a report's
    frames in reference cycles). Versions of one report in different batches load in file
    order: a lower version after a higher one is refused as older."""
    batch: list[Path] = []
    size = 0
    for path in files:
        try:
            size_of = path.lstat().st_size
        except OSError:
            size_of = 0  # the screening refuses it
        if batch and size + size_of > BATCH_BYTES:
            yield batch
            batch, size = [], 0
            gc.collect()  # the batch decided: its reports go now, also from GX's reference cycles
        batch.append(path)
        size += size_of
    if batch:
        yield batch


@dataclass
class Candidate:
    """A file past the screening: parsed (or not) and with the conflicts found so far."""

    digest: str
    sender: str
    report: ParsedReport | None
    conflicts: list[Finding]
    received: dt.date = dt.date.min
    validate: bool = True  # False: refused before the suites (they cannot take it)

    @property
    def refused(self) -> bool:
        """Refused before the suites' verdict: by the reader, the intake's rules, or the suite
        of indicator values run as the file was read (its findings join the suites' others)."""
        return bool(self.conflicts or (self.report is not None and self.report.values_findings))


def received(path: Path, today: dt.date) -> dt.date:
    """When the file arrived: its modification date, never after the run's date."""
    try:
        return min(today, dt.datetime.fromtimestamp(path.stat().st_mtime).date())
    except (OSError, ValueError, OverflowError):
        return today


def candidate(
    path: Path, digest: str, sender: str, values_sink: ValuesSink | None, today: dt.date
) -> Candidate:
    """The file read (``parse``) as a candidate for its decision."""
    return Candidate(digest, sender, *parse(path, values_sink, today.year), received=received(path, today))


def parse(
    path: Path, values_sink: ValuesSink | None = None, current_year: int | None = None
) -> tuple[ParsedReport | None, list[Finding]]:
    """The report, or why it cannot be read: any failure of the reader refuses the file (an
    ``OSError`` is the machine's, not the file's: it propagates and the file stays). A CSV
    report's values also go to ``values_sink`` as they are read (``head_start``); past
    ``HOLD_BYTES`` they are checked as they are read, not held (``slices``; ``current_year``
    for the suite's parameters)."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None, [
            Finding(
                f"unsupported file type {path.suffix!r}: send .xlsx, .csv or .json (report template v1)",
                f"неподдерживаемый тип файла {path.suffix!r}: направьте .xlsx, .csv или .json "
                "(шаблон отчёта, версия 1)",
                rule="file_type",
            )
        ]
    try:
        if values_sink is None or path.stat().st_size <= HOLD_BYTES:
            return parse_report(path, values_sink), []
        checks = slices.SliceChecks(path, current_year or dt.date.today().year)
        report = parse_report(path, _Both(values_sink, checks), hold_values=False)
        if (found := checks.finish()) is None:  # two rows alike in different slices: read whole
            del report, checks
            return parse_report(path), []
        report.indicator_values, report.streamed_rows = checks.compared_values(), checks.rows
        report.values_findings = found
        return report, []
    except ReportFormatError as error:
        if foreign(path):
            return None, [_foreign(path)]
        return None, reading_findings(error)  # every problem, each with its place
    except OSError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the reader meets, the file is refused
        return None, [unreadable(path, error, "read")]


def values_again(report: ParsedReport) -> ParsedReport:
    """``report`` with every value, read again (its values were checked as read, not held)."""
    try:
        again = parse_report(report.source_file)
    except ReportFormatError as error:
        raise OSError(f"{report.source_file.name}: changed while it was being decided") from error
    if again.header != report.header or again.value_count != report.value_count:
        raise OSError(f"{report.source_file.name}: changed while it was being decided")
    return dataclasses.replace(report, indicator_values=again.indicator_values, streamed_rows=None)


class _Both:
    """Two ``ValuesSink``s as one."""

    def __init__(self, first: ValuesSink, second: ValuesSink) -> None:
        self.sinks = (first, second)

    def add(self, header, values) -> None:
        for sink in self.sinks:
            sink.add(header, values)

    def forget(self) -> None:
        for sink in self.sinks:
            sink.forget()


def foreign(path: Path) -> bool:
    """A text file (CSV, JSON) whose beginning names fewer than three of the template's columns
    or keys: not recognisably a report, so its refusal may quote nothing of it (the reader's
    message would echo its first line). XLSX is compressed: its readers' messages stand."""
    if path.suffix.lower() == ".xlsx":
        return False
    with open(path, "rb") as file:
        head = file.read(FOREIGN_PROBE_BYTES).decode("utf-8", errors="replace")
    words = set(re.findall(r"[a-z_]+", head))
    return len(words & TEMPLATE_WORDS) < 3


def _foreign(path: Path) -> Finding:
    return Finding(
        "the file is not a report of template version 1 (it does not begin with the template's "
        f"columns): send the report saved from the template as {path.suffix.lower().lstrip('.')}",
        "файл не является отчётом по шаблону версии 1 (он не начинается со столбцов шаблона): "
        f"направьте отчёт, сохранённый из шаблона, в формате {path.suffix.lower().lstrip('.')}",
        rule="report_format",
    )


def unreadable(path: Path, error: BaseException, stage: str) -> Finding:
    """A refusal for a file the reader or the checks failed on, quoting nothing of it."""
    log.warning(
        "%(file)s: refused, the %(stage)s failed on it (%(error)s) / "
        "%(file)s: отклонён, сбой (%(stage)s: %(error)s)",
        {"file": path.name, "stage": stage, "error": type(error).__name__},
    )
    log.debug("%s: %s failure", path.name, stage, exc_info=error)
    if isinstance(error, RecursionError):
        en = "the file is nested too deeply to be a report: save it again from the report template"
        ru = "файл имеет слишком глубокую вложенность для отчёта: сохраните его заново из шаблона отчёта"
    elif isinstance(error, (MemoryError, OverflowError)):
        en = "the file holds a value or a structure too large to be a report: check its numbers and size"
        ru = "файл содержит значение или структуру слишком большого размера: проверьте числа и размер файла"
    else:
        en = (
            f"the file could not be {stage} as a report of template version 1: save it again from "
            "the report template (XLSX, CSV in UTF-8 or JSON, see the template description) and send it again"
        )
        ru = (
            "файл не удалось "
            + ("прочитать" if stage == "read" else "проверить")
            + " как отчёт по шаблону версии 1: сохраните его заново из шаблона отчёта (XLSX, CSV в "
            "кодировке UTF-8 или JSON, см. описание шаблона) и направьте повторно"
        )
    return Finding(en, ru, rule="unreadable")


def check(candidates: list[Candidate]) -> None:
    """The intake's own rules (``checks``) on every parsed report; their findings are conflicts."""
    registry = senders()
    for c in candidates:
        if c.report is None:
            continue
        h = c.report.header
        try:
            if bounds := checks.header_bounds(h):
                # Refused without the suites, and stored without the numbers PostgreSQL cannot hold.
                c.conflicts += bounds
                c.report.header = dataclasses.replace(
                    h,
                    reporting_year=_storable(h.reporting_year),
                    version=_storable(h.version),
                )
                c.validate = False
                continue
            if scope := checks.sender_scope(registry[c.sender], h):
                c.conflicts.append(scope)
            c.conflicts += checks.dates(h, c.received)
            c.conflicts += checks.completeness(c.report)
        except Exception as error:  # noqa: BLE001 - a rule failing on a file refuses that file only
            c.conflicts.append(unreadable(c.report.source_file, error, "checked"))
            c.validate = False


def _storable(number) -> int | None:
    return number if isinstance(number, int) and -checks.INT4_MAX <= number <= checks.INT4_MAX else None


class Refused(Exception):
    """The file is refused; ``conflicts`` are all the reasons."""

    def __init__(self, *conflicts: Finding) -> None:
        super().__init__(conflicts[0].reason_en)
        self.conflicts = list(conflicts)


class Suites:
    """``validate`` of a batch, run in a thread beside the loads: a load's COPY is PostgreSQL's
    and pyarrow's work (Python's lock released), the suites are Python's work."""

    def __init__(self, candidates: list[Candidate], today: dt.date) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="intake-suites")
        self._warnings = self._pool.submit(validate, candidates, today)

    def __enter__(self) -> Suites:
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown()

    def wait(self) -> dict[str, list[Finding]]:
        """The warnings per source file, once the suites are done (their refusals are in the
        candidates' conflicts)."""
        return self._warnings.result()

    def verdict(self, c: Candidate) -> list[Finding]:
        """The warnings of ``c``'s file; ``Refused`` (with all its conflicts) if the suites refuse it."""
        warnings = self.wait()
        if c.conflicts:
            raise Refused(*c.conflicts)
        return warnings.get(str(c.report.source_file), [])


def validate(candidates: list[Candidate], today: dt.date) -> dict[str, list[Finding]]:
    """Blocking suites on every parsed report (their findings become its conflicts), then the
    warning suites on the reports that passed; returns the warnings per source file. A report
    the suites fail on is refused; the others are validated without it."""
    checked = [c for c in candidates if c.report is not None and c.validate]
    blocking = _suites(quality.validate_reports, checked, current_year=today.year)
    for c in checked:
        c.conflicts += blocking.get(str(c.report.source_file), [])
    passed = [c for c in checked if not c.conflicts]
    return _suites(quality.validate_warnings, passed)


def _suites(run, candidates: list[Candidate], **kwargs) -> dict[str, list[Finding]]:
    if not candidates:
        return {}
    try:
        return run([c.report for c in candidates], **kwargs)
    except Exception:  # noqa: BLE001 - find the report it failed on, validate the others
        if len(candidates) == 1:
            c = candidates[0]
            c.conflicts.append(unreadable(c.report.source_file, sys.exc_info()[1], "checked"))
            return {}
    found: dict[str, list[Finding]] = {}
    for c in candidates:
        found.update(_suites(run, [c], **kwargs))
    return found
