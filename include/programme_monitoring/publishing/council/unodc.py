"""The Council report's comparison with UNODC: the states' figures against GLOTIP's.

One table (from the edition's ``unodc`` section, ``marts.rpt_unodc_reconciliation`` for the
report's year): state, indicator, the state's figure, UNODC's figure as published, the
difference and the status in words; then the comparability caveats, one per indicator,
from the seed ``unodc_indicator_correspondence`` (the definitional differences of UNODC's
metadata note), and what a censored value means. A censored UNODC value is shown as UNODC
published it ("<5"), never as a number.
"""

from __future__ import annotations

from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.queries import MartData
from programme_monitoring.reference import unodc_correspondence

TEXT = {
    "ru": {
        "heading": "Сопоставление с данными УНП ООН (GLOTIP)",
        "intro": (
            "Показатели государств сопоставлены с данными, которые те же государства представили "
            "УНП ООН для Глобального доклада о торговле людьми (выпуск от {release})."
        ),
        "columns": [
            "Государство",
            "Показатель",
            "Данные государства",
            "Данные УНП ООН",
            "Расхождение",
            "Сверка",
        ],
        "caveats": "Оговорки о сопоставимости",
        "censored": (
            "«<5» — УНП ООН публикует малые значения только как «меньше 5»; такое значение не "
            "заменяется числом, а сумма, в которую оно входит, является оценкой."
        ),
        "none": "Данных для сопоставления за этот год нет.",
        "status": {
            "equal": "совпадает",
            "differs": "расходится",
            "censored_consistent": "согласуется (значение УНП ООН скрыто)",
            "censored_inconsistent": "не согласуется (значение УНП ООН скрыто)",
            "only_in_report": "только в отчёте государства",
            "only_at_unodc": "только у УНП ООН",
        },
    },
    "en": {
        "heading": "Comparison with UNODC (GLOTIP)",
        "intro": (
            "The states' figures compared with what the same states reported to UNODC for the "
            "Global Report on Trafficking in Persons (release of {release})."
        ),
        "columns": ["State", "Indicator", "State's figure", "UNODC", "Difference", "Comparison"],
        "caveats": "Comparability caveats",
        "censored": (
            '"<5": UNODC publishes small counts only as "below 5"; such a value is never replaced '
            "by a number, and a sum that includes it is a bound."
        ),
        "none": "There is nothing to compare for this year.",
        "status": {
            "equal": "equal",
            "differs": "differs",
            "censored_consistent": "consistent (UNODC value censored)",
            "censored_inconsistent": "inconsistent (UNODC value censored)",
            "only_in_report": "only in the state's report",
            "only_at_unodc": "only at UNODC",
        },
    },
}


def comparison(data: MartData, lang: str) -> dict | None:
    """What the template's UNODC section shows, or None if the edition has no such section."""
    section = data.sections.get("unodc")
    if section is None:
        return None
    t = TEXT[lang]
    records = section.records()
    rows = [
        [
            data.name("state", r["state_code"], lang),
            data.name("indicator", r["indicator_code"], lang),
            formatting.count(r["report_value"], lang),
            r["unodc_value_text"] or "—",
            formatting.count(r["difference"], lang) if r["difference"] is not None else "—",
            t["status"][r["status"]],
        ]
        for r in records
    ]
    releases = sorted({r["release_date"] for r in records if r["release_date"]})
    correspondence = unodc_correspondence()
    caveats = [
        f"{data.name('indicator', c.indicator_code, lang)} — {c.unodc_indicator}: "
        + (c.definition_difference_ru if lang == "ru" else c.definition_difference_en)
        for c in correspondence.itertuples()
    ]
    return {
        "t": t,
        "intro": t["intro"].format(release=", ".join(formatting.value(d, lang) for d in releases) or "—"),
        "rows": rows,
        "caveats": [*caveats, t["censored"]],
    }
