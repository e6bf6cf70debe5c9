"""The one finding type: a problem found in a member-state report, wherever it was found.

A blocking Great Expectations rule, a warning rule, a file the reader cannot parse and a
version that is not newer than the loaded one all end up as a ``Finding``: the intake
refuses the file on any finding of severity ``error`` and lists it as a conflict in the
import summary; a ``warning`` loads the file and goes on the review list
(``audit.validation_findings``). Where in the report it is, is always said by
``records.where``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from programme_monitoring.report_format.records import ReportFormatError, where


@dataclass(frozen=True)
class Finding:
    reason_en: str
    reason_ru: str
    severity: str = "error"  # "error" refuses the file; "warning" loads it and goes on the review list
    rule: str = ""  # e.g. "known_indicator", "sex_parts_sum_to_total", "version_not_newer"
    suite: str = ""  # the Great Expectations suite that found it ("" for reader and version checks)
    table: str = ""  # the frame the suite checked (header, indicator_values, sex_parts, ...)
    column: str = ""  # the report's column to fix ("" when the rule compares several values)
    source_sheet: str = ""
    source_row: int | None = None
    value: Any = None  # the value found in that column
    involved: dict[str, Any] = field(default_factory=dict, compare=False)  # the values a warning compares

    def where(self, *, bilingual: bool = False) -> str:
        """Sheet, row and column of the report, or "" when the finding concerns the whole file."""
        return where(self.source_sheet, self.source_row, self.column, bilingual=bilingual)

    def describe(self) -> str:
        """One line for a refusal's reasons: place, English reason, value found, Russian reason."""
        found = f" (found {self.value!r})" if self.value is not None else ""
        head = f"{self.where()}: " if self.where() else ""
        return f"{head}{self.reason_en}{found} / {self.reason_ru}"


def reading_findings(error: ReportFormatError) -> list[Finding]:
    """Every problem of a file the reader refused, one finding each (its reason in English and
    Russian, its place in sheet, row and column), then one saying how many more there were."""
    found = [
        Finding(p.en, p.ru, rule="report_format", column=p.column, source_sheet=p.sheet, source_row=p.row)
        for p in error.problems
    ]
    if error.more:
        found.append(
            Finding(
                f"and {error.more} more problems of the same file: fix those above and send it again",
                f"и ещё {error.more} проблем(ы) в этом файле: исправьте указанные выше и направьте его снова",
                rule="report_format",
            )
        )
    return found
