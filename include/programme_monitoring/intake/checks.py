"""The intake's own rules on a report, beyond what the reader and the suites check.

Each returns findings (errors: the file is refused) in Russian and English, naming what
to fix; none reads the database (the rules needing the loaded version take what
``ledger`` read):

- ``screen``: a file is refused unread, before anything of it is parsed, when it is not a
  regular file with one name (symbolic link, hard link, folder, device), lies outside the
  landing area, or has no registered sender (the landing area's root, or a sub-folder
  the sender registry does not know); ``unsafe_name_reason``: a name listed in a remote
  landing area that cannot be a local file name (``remote_landing`` refuses it unread);
- ``sender_scope``: its sender may not report for the state or programme it declares;
- ``header_bounds``: a reporting year or version PostgreSQL cannot store (an integer);
- ``dates``: submitted before the end of the reporting year, or after the file arrived;
- ``completeness``: an indicator the programme carries that year, or a measure due, has
  no row (a value or "not reported"): this also catches a file cut short;
- ``dropped_rows``: a correction leaves out rows of the version it replaces;
- ``correction_dated_earlier``: a correction dated before the version it replaces.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import unicodedata
from pathlib import Path

from programme_monitoring.quality.findings import Finding
from programme_monitoring.reference import Sender, load_reference, senders
from programme_monitoring.report_format.records import ParsedReport, ReportHeader, total_rows

INT4_MAX = 2**31 - 1  # PostgreSQL integer: the ledger's and raw's year and version columns
LISTED = 20  # missing or dropped rows named in one finding; the rest are counted
Reason = tuple[str, str]  # why, in English and in Russian
MAX_NAME_BYTES = 255  # a file name on the local spool's filesystem
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _error(en: str, ru: str, rule: str, column: str = "", value=None) -> Finding:
    return Finding(en, ru, rule=rule, column=column, value=value)


# -- before reading ---------------------------------------------------------------


def screen(path: Path, sender_id: str | None, landing: Path | None) -> Finding | None:
    """Why a file is refused unread (nothing of it is parsed or quoted), or None.

    ``sender_id`` None: the file came without one (the landing area's root, or a manual
    load without ``--sender``). ``landing`` None: a manual load (the operator named the file).
    """
    try:
        info = path.lstat()
    except OSError:
        return _error(
            "the file disappeared before it could be read; deliver it again",
            "файл исчез до того, как его удалось прочитать; направьте его повторно",
            "not_regular_file",
        )
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        return _error(
            "not a regular file (links, folders and devices are not read): put the report itself in "
            "the sender's folder",
            "не обычный файл (ссылки, папки и устройства не читаются): поместите в папку отправителя "
            "сам файл отчёта",
            "not_regular_file",
        )
    if info.st_nlink > 1:
        return _error(
            "the file has more than one name (a hard link, which may point at a file outside the "
            "landing area): copy the report itself into the sender's folder",
            "у файла несколько имён (жёсткая ссылка, которая может указывать на файл вне области "
            "приёма): скопируйте в папку отправителя сам файл отчёта",
            "not_regular_file",
        )
    if landing is not None and not _inside(path, landing):
        return _error(
            "the file lies outside the landing area (its folder resolves elsewhere): put the report "
            "itself in the sender's folder",
            "файл находится вне области приёма (его папка ведёт в другое место): поместите сам файл "
            "отчёта в папку отправителя",
            "outside_landing",
        )
    return sender_refusal(sender_id, named=landing is None)


def unsafe_name_reason(name: str) -> Reason | None:
    """Why a name listed in a remote landing area cannot be a file or folder name in the local
    spool (English, Russian), or None."""
    if name == "":
        return (
            "its name is empty (a doubled '/' in its path: an absolute path below the folder)",
            "его имя пусто (двойной '/' в пути: абсолютный путь внутри папки)",
        )
    if name in (".", ".."):
        return (
            f"its name {name!r} is a relative path component, not a file name",
            f"его имя {name!r} - часть относительного пути, а не имя файла",
        )
    if name.startswith("/"):
        return "its name is an absolute path", "его имя - абсолютный путь"
    if "/" in name:
        return (
            "its name has a path inside it (not directly in the listed folder)",
            "в его имени есть путь (он лежит не прямо в папке)",
        )
    if "\x00" in name:
        return "its name contains a NUL byte", "в его имени есть байт NUL"
    if "\\" in name:
        return (
            "its name contains a backslash (a Windows path separator)",
            "в его имени есть обратная косая черта (разделитель путей Windows)",
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return "its name contains a control character", "в его имени есть управляющий символ"
    if any(c in BIDI_CONTROLS for c in name):
        return (
            "its name contains a bidirectional-text override (it can disguise the file type)",
            "в его имени есть символ смены направления текста (он может скрыть тип файла)",
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"its name is longer than {MAX_NAME_BYTES} bytes", f"его имя длиннее {MAX_NAME_BYTES} байт"
    return None


def _inside(path: Path, landing: Path) -> bool:
    root = os.path.realpath(landing)
    return os.path.commonpath([root, os.path.realpath(path.parent)]) == root


def sender_refusal(sender_id: str | None, named: bool = False) -> Finding | None:
    """Refusal of a file without a registered sender, saying where to put it; None if registered.
    ``named``: the operator named the file (a manual load) and it lies in no sender's folder."""
    registry = senders()
    example = _example_folders(registry)
    if sender_id is None and named:
        ids = ", ".join(_example_senders(registry)) + ", ..."
        return _error(
            f"the file was given without a sender: load it with --sender <sender> ({ids}), or put "
            "it in its sender's folder, landing/<sender>/",
            f"файл указан без отправителя: загрузите его с --sender <отправитель> ({ids}) или "
            "поместите его в папку отправителя, landing/<отправитель>/",
            "no_sender",
        )
    if sender_id is None:
        return _error(
            "the file came without a sender (it lies at the root of the landing area): put it in "
            f"your sender folder, landing/<sender>/ ({example}), or load it with --sender",
            "файл поступил без отправителя (он лежит в корне области приёма): поместите его в папку "
            f"своего отправителя, landing/<отправитель>/ ({example}), или загрузите с --sender",
            "no_sender",
        )
    if sender_id not in registry:
        return _error(
            f"the folder {sender_id!r} is not a registered sender: put the file in your sender "
            f"folder ({example}); a new sender is added to the sender registry first",
            f"папка {sender_id!r} не принадлежит зарегистрированному отправителю: поместите файл в "
            f"папку своего отправителя ({example}); нового отправителя сначала вносят в реестр "
            "отправителей",
            "unknown_sender",
        )
    return None


def _example_senders(registry: dict[str, Sender]) -> list[str]:
    return sorted(s.sender_id for s in registry.values() if s.state_code)[:3]


def _example_folders(registry: dict[str, Sender]) -> str:
    return ", ".join(f"landing/{sid}/" for sid in _example_senders(registry)) + ", ..."


# -- the header -------------------------------------------------------------------


def header_bounds(h: ReportHeader) -> list[Finding]:
    """A year or version outside what the warehouse stores: refused, never "loaded next run"."""
    found = []
    if not isinstance(h.reporting_year, int) or not 0 < h.reporting_year <= INT4_MAX:
        found.append(
            _error(
                "the reporting year is not a year: write the year the report covers, e.g. 2014",
                "отчётный год не является годом: укажите год, за который представлен отчёт, например 2014",
                "year_out_of_range",
                "reporting_year",
            )
        )
    if not isinstance(h.version, int) or not 0 < h.version <= INT4_MAX:
        found.append(
            _error(
                "the report version is out of range: write 1 for the first submission, 2, 3, ... "
                "for corrections",
                "версия отчёта вне допустимого диапазона: укажите 1 для первого представления, 2, 3, "
                "... для исправлений",
                "version_out_of_range",
                "version",
            )
        )
    return found


def sender_scope(sender: Sender, h: ReportHeader) -> Finding | None:
    """A sender may deliver only the states (and programmes) the registry gives it."""
    if sender.may_report(h.state_code, h.programme_code):
        return None
    reference = load_reference()
    states = reference.states.set_index("state_code")
    state = states.loc[h.state_code] if h.state_code in states.index else None
    declared_en = state.name_en if state is not None else h.state_code
    declared_ru = state.name_ru if state is not None else h.state_code
    if sender.state_code and sender.state_code != h.state_code:
        return _error(
            f"this file declares the report of {declared_en}, but it came from {sender.name_en}, "
            f"which reports for {states.loc[sender.state_code].name_en} only: send it from "
            f"{declared_en}'s folder, or correct the state",
            f"в файле указан отчёт государства «{declared_ru}», но он поступил от отправителя "
            f"«{sender.name_ru}», представляющего только «{states.loc[sender.state_code].name_ru}»: "
            "направьте его из папки этого государства или исправьте государство",
            "sender_not_allowed",
            "state",
            h.state_code,
        )
    allowed = ", ".join(sorted(sender.programme_codes))
    return _error(
        f"{sender.name_en} does not report on the {h.programme_code} programme (only {allowed}): "
        "send it from the sender responsible for it, or correct the programme",
        f"отправитель «{sender.name_ru}» не представляет отчёты по программе {h.programme_code} "
        f"(только {allowed}): направьте его от ответственного отправителя или исправьте программу",
        "sender_not_allowed",
        "programme",
        h.programme_code,
    )


def dates(h: ReportHeader, received: dt.date) -> list[Finding]:
    """Submitted after the reporting year ended and not after the file arrived."""
    submitted = h.submission_date
    if not isinstance(submitted, dt.date):
        return []  # the reader's to refuse
    if submitted.year <= h.reporting_year:
        return [
            _error(
                f"the submission date {submitted:%Y-%m-%d} is before the end of the reporting year "
                f"{h.reporting_year}: write the date the report was sent",
                f"дата представления {submitted:%d.%m.%Y} раньше окончания отчётного года "
                f"{h.reporting_year}: укажите дату направления отчёта",
                "submission_before_year_end",
                "submission_date",
            )
        ]
    if submitted > received:
        return [
            _error(
                f"the submission date {submitted:%Y-%m-%d} is after the file arrived "
                f"({received:%Y-%m-%d}): write the date the report was sent",
                f"дата представления {submitted:%d.%m.%Y} позже поступления файла "
                f"({received:%d.%m.%Y}): укажите дату направления отчёта",
                "submission_after_receipt",
                "submission_date",
            )
        ]
    return []


def correction_dated_earlier(
    h: ReportHeader, replaced_date: dt.date, replaced_version: int
) -> Finding | None:
    if h.submission_date >= replaced_date:
        return None
    return _error(
        f"this correction (version {h.version}) is dated {h.submission_date:%Y-%m-%d}, before version "
        f"{replaced_version} it replaces ({replaced_date:%Y-%m-%d}): write the date the correction was "
        "sent (the first version's date decides whether the report was on time)",
        f"это исправление (версия {h.version}) датировано {h.submission_date:%d.%m.%Y}, раньше "
        f"заменяемой версии {replaced_version} ({replaced_date:%d.%m.%Y}): укажите дату направления "
        "исправления (своевременность определяется по дате первой версии)",
        "correction_dated_earlier",
        "submission_date",
    )


# -- the rows ---------------------------------------------------------------------


def completeness(report: ParsedReport) -> list[Finding]:
    """Every indicator the programme carries that year (its total) and every measure due has a row."""
    h = report.header
    reference = load_reference()
    values = report.indicator_values
    present = set(values.indicator_code[total_rows(values.disaggregation)])
    due_indicators = [
        code for code in reference.indicators.indicator_code
        if code in reference.reportable_indicators(h.programme_code, h.reporting_year)
    ]  # fmt: skip
    missing = [code for code in due_indicators if code not in present]
    missing_measures = sorted(
        reference.measures_due(h.programme_code, h.reporting_year) - set(report.measures.measure_code),
        key=_measure_order,
    )
    found = []
    if missing:
        found.append(
            _error(
                f"the total of {_named(missing)} is missing (indicators the {h.programme_code} programme "
                f"carries in {h.reporting_year}): add each row with its value, or write 'not reported'; "
                "a file cut short is sent again complete",
                f"нет итоговой строки показателей {_named(missing)} (их содержит программа "
                f"{h.programme_code} в {h.reporting_year} году): добавьте каждую строку со значением или "
                "с отметкой «не представлено»; оборванный файл направьте повторно целиком",
                "indicator_missing",
            )
        )
    if missing_measures:
        found.append(
            _error(
                f"the status of measure(s) {_named(missing_measures)} is missing (due in "
                f"{h.reporting_year}): add a row for each with its status",
                f"нет состояния исполнения мероприятий {_named(missing_measures)} (срок исполнения в "
                f"{h.reporting_year} году): добавьте строку по каждому с его состоянием",
                "measure_missing",
            )
        )
    return found


def dropped_rows(
    replaced_version: int, dropped: list[tuple[str, str]], count: int | None, kind: str
) -> Finding | None:
    """A correction must carry every row of the version it replaces (``kind``: indicator or measure).
    ``dropped``: the rows it leaves out, (code, breakdown) in code order, or the first of them and
    ``count`` (None: all of them)."""
    count = len(dropped) if count is None else count
    if not count:
        return None
    names = [code if dis in ("", None) else f"{code} [{dis}]" for code, dis in dropped]
    what_en, what_ru = ("indicator row(s)", "строк показателей") if kind == "indicator" else (
        "measure row(s)", "строк мероприятий")  # fmt: skip
    return _error(
        f"this correction leaves out {count} {what_en} of version {replaced_version} it replaces: "
        f"{_named(names, count)}; send every row again (a figure no longer known is written 'not reported')",
        f"в исправлении нет {count} {what_ru} заменяемой версии {replaced_version}: {_named(names, count)}; "
        "направьте все строки повторно (неизвестное более значение отмечается «не представлено»)",
        "correction_drops_rows",
    )


def _named(codes: list[str], count: int | None = None) -> str:
    """The first ``LISTED`` codes, and how many more of ``count`` (default: all of ``codes``)."""
    shown = codes[:LISTED]
    more = (len(codes) if count is None else count) - len(shown)
    return ", ".join(shown) + (f" (+{more})" if more else "")


def _measure_order(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))


# -- at the load -------------------------------------------------------------------


def unstorable() -> Finding:
    return Finding(
        "a value of the file cannot be stored (a number or text beyond what the warehouse holds): "
        "check the figures and texts for values out of range or invisible characters",
        "значение из файла не может быть сохранено (число или текст вне допустимого диапазона): "
        "проверьте показатели и тексты на недопустимые значения и невидимые символы",
        rule="unstorable_value",
    )


def not_newer(h: ReportHeader, current) -> Finding:
    what = "the same version" if current.version == h.version else "a newer version"
    what_ru = "та же версия" if current.version == h.version else "более новая версия"
    return Finding(
        f"{what} ({current.version}) of the {h.programme_code} {h.reporting_year} report of {h.state_code} "
        f"is already loaded (file {current.file_name!r}, SHA-256 {current.sha256[:12]}...); this file "
        f"declares version {h.version}. Nothing was overwritten: to correct the report send it with "
        f"version {current.version + 1}",
        f"{what_ru} ({current.version}) отчёта {h.state_code} по программе {h.programme_code} за "
        f"{h.reporting_year} год уже загружена (файл {current.file_name!r}); в этом файле указана версия "
        f"{h.version}. Данные не перезаписаны: исправленный отчёт направьте с версией {current.version + 1}",
        rule="version_not_newer",
        column="version",
        value=h.version,
    )
