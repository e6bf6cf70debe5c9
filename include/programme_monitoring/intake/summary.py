"""The import summary of one file, after DHIS2: counts, conflicts and changes, in Russian and English.

Counts of indicator values: ``imported`` (new: no value under that indicator and
disaggregation in the version it supersedes), ``updated`` (a different value or
reported-ness than the superseded version), ``unchanged`` (the same), ``removed`` (in
the superseded version, absent from this one), ``ignored`` (read from the file but not
loaded: the file was refused). Conflicts (why the file was refused) and warnings (loaded,
for review) are both ``quality.findings.Finding``; each names the sheet, row and column to
fix (``records.where``). A correction lists its changes cell by cell.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from programme_monitoring.quality.findings import Finding
from programme_monitoring.report_format.records import ParsedReport

if TYPE_CHECKING:  # the ledger writes these summaries: it imports this module
    from programme_monitoring.intake.ledger import Comparison

STATUS_TEXT = {
    "loaded": ("LOADED", "ЗАГРУЖЕН"),
    "rejected": ("REFUSED: nothing from this file was loaded", "ОТКЛОНЁН: данные файла не загружены"),
    "pending": (
        "HELD: stored, but not in force: its year is locked (an edition of the Council report for it "
        "was published); an approver must unlock the year or this report",
        "ЗАДЕРЖАН: сохранён, но не действует: отчётный год заблокирован (издание доклада Совету за этот "
        "год опубликовано); его должен разблокировать утверждающий",
    ),
    "duplicate": (
        "ALREADY RECEIVED: the same bytes are in the ledger, nothing to do",
        "УЖЕ ПОЛУЧЕН: файл с тем же содержимым уже учтён, действий не требуется",
    ),
}


@dataclass
class Change:
    indicator_code: str
    disaggregation: str
    change: str  # "updated", "added" or "removed"
    old_value: int | None
    new_value: int | None
    old_reported: bool | None
    new_reported: bool | None


@dataclass
class ImportSummary:
    file_name: str
    sha256: str
    sender: str
    status: str  # "loaded", "pending" (held: its year is locked), "rejected" or "duplicate"
    dry_run: bool = False
    state_code: str | None = None
    programme_code: str | None = None
    reporting_year: int | None = None
    report_version: int | None = None
    supersedes: str | None = None  # SHA-256 of the version this one replaces
    superseded_version: int | None = None
    values_read: int = 0
    measures_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    ignored: int = 0
    conflicts: list[Finding] = field(default_factory=list)  # severity error: why the file was refused
    changes: list[Change] = field(default_factory=list)  # a correction's first LISTED_CHANGES
    warnings: list[Finding] = field(default_factory=list)  # severity warning: loaded, for review

    @classmethod
    def of(
        cls, path: Path, digest: str, sender: str, status: str, report: ParsedReport | None, dry_run: bool
    ) -> ImportSummary:
        """The summary of a file about to be decided, with what was read of it (``report``)."""
        h = report.header if report else None
        return cls(
            path.name,
            digest,
            sender,
            status,
            dry_run=dry_run,
            state_code=h and h.state_code,
            programme_code=h and h.programme_code,
            reporting_year=h and h.reporting_year,
            report_version=h and h.version,
            values_read=report.value_count if report else 0,
            measures_read=len(report.measures) if report else 0,
        )

    @property
    def change_count(self) -> int:
        """The cells a correction changed: ``changes`` lists the first, audit.import_changes all."""
        return self.imported + self.updated + self.removed if self.supersedes else 0

    # -- output -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["change_count"] = self.change_count
        doc["counts"] = {k: doc.pop(k) for k in ("imported", "updated", "unchanged", "removed", "ignored")}
        doc["text_en"], doc["text_ru"] = self.text_en(), self.text_ru()
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"

    def _report(self) -> str:
        if self.state_code is None:
            return ""
        return f"{self.state_code} {self.programme_code} {self.reporting_year} v{self.report_version}"

    def text_en(self) -> str:
        status = STATUS_TEXT[self.status][0]
        if self.dry_run:
            status = f"DRY RUN, nothing loaded or moved; the file would be: {status}"
        lines = [
            f"Import summary: {self.file_name} (SHA-256 {self.sha256})",
            f"Sender: {self.sender}. Report: {self._report() or 'header not readable'}",
            f"Outcome: {status}",
        ]
        if self.supersedes and self.status == "pending":
            lines.append(
                f"Correction of version {self.superseded_version} (file {self.supersedes[:12]}...), which "
                "stays in force until this one is unlocked"
            )
        elif self.supersedes:
            lines.append(
                f"Correction: replaces version {self.superseded_version} (file {self.supersedes[:12]}...), "
                "which stays in the warehouse marked superseded"
            )
        lines.append(
            f"Values: {self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.ignored} ignored ({self.values_read} read; "
            f"{self.measures_read} measure statuses)"
        )
        lines.append(f"Conflicts: {len(self.conflicts)}")
        lines += [f"  - {_conflict_place(c)}: {c.reason_en}{_found(c.value)}" for c in self.conflicts]
        if self.change_count:
            lines.append(f"Changes against the superseded version: {self.change_count}")
            lines += self._listed("  ... and {} more: every change is in audit.import_changes")
        lines.append(f"Warnings for review (the file is loaded): {len(self.warnings)}")
        lines += [f"  - {_warning_place(w)}: {w.reason_en}" for w in self.warnings]
        return "\n".join(lines) + "\n"

    def text_ru(self) -> str:
        status = STATUS_TEXT[self.status][1]
        if self.dry_run:
            status = f"ПРОБНАЯ ПРОВЕРКА, ничего не загружено и не перемещено; файл был бы: {status}"
        lines = [
            f"Итоги загрузки: {self.file_name} (SHA-256 {self.sha256})",
            f"Отправитель: {self.sender}. Отчёт: {self._report() or 'заголовок не прочитан'}",
            f"Результат: {status}",
        ]
        if self.supersedes and self.status == "pending":
            lines.append(
                f"Исправление версии {self.superseded_version} (файл {self.supersedes[:12]}...), которая "
                "действует, пока это исправление не разблокировано"
            )
        elif self.supersedes:
            lines.append(
                f"Исправленный отчёт: заменяет версию {self.superseded_version} "
                f"(файл {self.supersedes[:12]}...), она сохранена с отметкой «заменён»"
            )
        lines.append(
            f"Значения: загружено новых {self.imported}, изменено {self.updated}, без изменений "
            f"{self.unchanged}, исключено {self.removed}, пропущено {self.ignored} (прочитано "
            f"{self.values_read}; статусов мероприятий {self.measures_read})"
        )
        lines.append(f"Конфликты: {len(self.conflicts)}")
        lines += [f"  - {_conflict_place(c)}: {c.reason_ru}{_found(c.value)}" for c in self.conflicts]
        if self.change_count:
            lines.append(f"Изменения по сравнению с заменённой версией: {self.change_count}")
            lines += self._listed("  ... и ещё {}: все изменения в audit.import_changes")
        lines.append(f"Предупреждения для проверки (файл загружен): {len(self.warnings)}")
        lines += [f"  - {_warning_place(w)}: {w.reason_ru}" for w in self.warnings]
        return "\n".join(lines) + "\n"

    def _listed(self, more: str) -> list[str]:
        lines = [f"  - {_change(c)}" for c in self.changes[:LISTED_CHANGES]]
        hidden = self.change_count - len(lines)
        return lines + ([more.format(hidden)] if hidden > 0 else [])

    def held_text(self) -> str:
        """Why a version is held, in Russian and English (the outcome's reason)."""
        return (
            f"Отчётный год {self.reporting_year} заблокирован опубликованным изданием доклада Совету: "
            "версия сохранена, но не учитывается, пока утверждающий не снимет блокировку. / "
            f"Reporting year {self.reporting_year} is locked by a published edition of the Council "
            "report: the version is stored but not counted until an approver unlocks it."
        )

    def text(self) -> str:
        return self.text_ru() + "\n" + self.text_en()

    def write_beside(self, stored: Path) -> tuple[Path, Path]:
        """Write <hash>.summary.json and <hash>.summary.txt beside the archived or quarantined file."""
        base = stored.parent / self.sha256
        json_path, text_path = Path(f"{base}.summary.json"), Path(f"{base}.summary.txt")
        json_path.write_text(self.to_json(), encoding="utf-8")
        text_path.write_text(self.text(), encoding="utf-8")
        return json_path, text_path

    def write_reason(self, stored: Path, reasons: list[str]) -> Path:
        """Write <stored>.reason.txt beside a quarantined file: what to fix, in both languages."""
        text = "\n".join(
            [
                f"File / Файл: {self.file_name}",
                f"SHA-256: {self.sha256}",
                "Refused: nothing from this file was loaded. Fix the rows below and send the file again.",
                "Отклонён: данные файла не загружены. Исправьте указанные строки и направьте файл повторно.",
                "",
                *(f"- {reason}" for reason in reasons),
                "",
            ]
        )
        path = stored.with_name(stored.name + ".reason.txt")
        path.write_text(text, encoding="utf-8")
        return path


def _found(value: Any) -> str:
    return "" if value is None else f" (found/указано {value!r})"


def _conflict_place(c: Finding) -> str:
    return c.where(bilingual=True) or "file/файл"


def _warning_place(w: Finding) -> str:
    return w.where(bilingual=True) or w.suite


def _value(value: int | None, reported: bool | None) -> str:
    if reported is None:
        return "-"
    return str(value) if reported and value is not None else "not reported/не представлено"


# A corrected large annex can change a million cells: the summary lists the first ones, the
# table audit.import_changes holds them all.
LISTED_CHANGES = 1_000


def _change(c: Change) -> str:
    return (
        f"{c.indicator_code} [{c.disaggregation}]: {_value(c.old_value, c.old_reported)} -> "
        f"{_value(c.new_value, c.new_reported)} ({c.change})"
    )


def count_changes(summary: ImportSummary, comparison: Comparison | None) -> None:
    """Fill the counts and, for a correction, its changes from the comparison with the version it
    replaces (``ledger.compare_versions``: made in PostgreSQL, whatever the number of cells)."""
    if comparison is None:
        summary.imported = summary.values_read  # rows are unique per indicator and disaggregation (checked)
        return
    summary.imported = comparison.counts.get("added", 0)
    summary.updated = comparison.counts.get("updated", 0)
    summary.removed = comparison.counts.get("removed", 0)
    summary.unchanged = summary.values_read - summary.imported - summary.updated
    summary.changes = comparison.listed
