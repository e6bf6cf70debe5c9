"""Reading a report of template version 1: ``parse_report``, whatever the format.

It picks the reader by file suffix, checks the file size before a byte is read, and hands
the reader a fresh ``Collector``. The result is a ``ParsedReport``; anything that cannot be
read unambiguously is refused with a ``ReportFormatError`` naming file, sheet, row and
column. Structure only: whether codes exist, values are non-negative, the state takes part
in the programme or rows repeat is for the content checks later (``quality``).

The format is documented in ``docs/report_template_v1.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from programme_monitoring.process_memory import give_back
from programme_monitoring.report_format.collector import Collector, ValuesSink
from programme_monitoring.report_format.csv_reader import read_csv
from programme_monitoring.report_format.file_safety import UnsafeFile, check_size
from programme_monitoring.report_format.json_reader import read_json
from programme_monitoring.report_format.records import FORMATS, ParsedReport, ReportFormatError, ReportHeader
from programme_monitoring.report_format.xlsx_reader import read_xlsx

READERS: dict[str, Callable[[Path, Collector], ReportHeader]] = {
    "xlsx": read_xlsx,
    "csv": read_csv,
    "json": read_json,
}
assert tuple(READERS) == FORMATS


def parse_report(path: Path, values_sink: ValuesSink | None = None, hold_values: bool = True) -> ParsedReport:
    """Read one report file (.xlsx, .csv or .json) as template version 1; a CSV report's
    indicator values also go to ``values_sink`` chunk by chunk as they are read, and only
    there if not ``hold_values`` (the report then holds none)."""
    try:
        return _parse(Path(path), values_sink, hold_values)
    finally:
        give_back()  # what reading took beyond the report itself: chunks, blocks, the reader's own


def _parse(path: Path, values_sink: ValuesSink | None, hold_values: bool) -> ParsedReport:
    fmt = path.suffix.lower().lstrip(".")
    collector = Collector(path, values_sink, hold_values)
    if fmt not in READERS:
        raise collector.error(
            f"unsupported file type {path.suffix[:20]!r}: send .xlsx, .csv or .json",
            f"неподдерживаемый тип файла {path.suffix[:20]!r}: направьте .xlsx, .csv или .json",
        )
    try:
        check_size(path, fmt)  # before reading a byte
        header = READERS[fmt](path, collector)
        return collector.result(header, fmt)
    except UnsafeFile as exc:
        raise collector.error(str(exc), exc.ru) from None
    except ReportFormatError:
        raise
    except OSError as exc:  # gone, unreadable or a folder: no content to quote
        raise collector.error(
            f"the file could not be read ({type(exc).__name__}): send it again",
            f"файл не удалось прочитать ({type(exc).__name__}): направьте его повторно",
        ) from None
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError, LookupError) as exc:
        # A last line of defence: whatever a reader did not foresee ends as a refusal of the
        # file (never a traceback that stops the intake), without quoting the file.
        raise collector.error(
            f"the file cannot be read as a report ({type(exc).__name__}); check that it is a report "
            "made from the template",
            f"файл не читается как отчёт ({type(exc).__name__}); проверьте, что это отчёт по шаблону",
        ) from exc
