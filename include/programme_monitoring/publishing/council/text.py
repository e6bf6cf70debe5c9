"""The words of the Council report in its two languages, Russian (primary) and English.

Each language has the same keys; the templates and ``render`` pick them by key, so a
language is added by adding its words here (and its locale to Babel's formatting). The
names of states, programmes and indicators are not here: they are the dimension marts'.
The labels of the headline figures are the seed's (``publishing.labels``).
"""

from __future__ import annotations

LANGUAGES = ("ru", "en")

TEXT = {
    "ru": {
        "executive_committee": "Исполнительный комитет Содружества Независимых Государств",
        "edition_of": "Издание от {date}",
        "contents": "Содержание",
        "quote": "«{text}»",
        "as_of_cover": "Данные по состоянию на {as_of}",
        "dash_note": "«—» — государство не представило показатель.",
        "about": "Об издании",
        "summary": "Краткое изложение",
        "series": "Основные показатели по годам",
        "states_chart": "Показатели государств",
        "synthetic_banner": "СИНТЕТИЧЕСКИЕ ДАННЫЕ",
        "synthetic_text": (
            "Все показатели этого издания получены из сгенерированных (учебных) отчётов, а не из отчётов "
            "государств. Издание не предназначено для официального использования."
        ),
        "synthetic_some": (
            "Часть показателей получена из сгенерированных (учебных) отчётов, а не из отчётов государств "
            "(отчётов: {n} из {total}). Издание не предназначено для официального использования."
        ),
        "synthetic_footer": "СИНТЕТИЧЕСКИЕ ДАННЫЕ — не для официального использования",
        "source_short": "Источник: отчёты государств ({n}); перечень — в приложении.",
        "source_note": (
            "Все показатели взяты из витрин хранилища по состоянию на {as_of}; использованы отчёты "
            "государств (последние принятые версии), число отчётов: {n}. Полный перечень отчётов, версий "
            "и таблиц — в приложении (annex.xlsx)."
        ),
        "reports_received": "Представлено отчётов: {received} из {expected} ожидаемых; в срок — {on_time}.",
        "implementation_overall": (
            "Выполнено мероприятий по программе «{programme}»: {implemented} из {due} ({rate})."
        ),
        "revised_mark": "пересмотрено",
        "revised_note": "* Показатель пересмотрен по сравнению с изданием от {previous}.",
        "signature": "Председатель Исполнительного комитета — Исполнительный секретарь СНГ",
        "signature_line": "подпись",
        "date_line": "дата",
        "unit_count": "Число",
        "unit_persons_events": "Число (преступлений, лиц, групп, каналов)",
        "year_axis": "Год",
        "missing_bar": "нет сведений",
        "no_report": "нет отчёта с этими показателями",
        "missing_legend": (
            "«нет сведений»: государство не представило показатель; «нет отчёта с этими показателями»: "
            "государство не представило отчёт по программе, в которой есть эти показатели"
        ),
        "report_year_line": "отчётный год",
        "composition_line": "меняется состав показателя (см. таблицу ниже)",
        "coverage": "Сопоставимость рядов: какие отчёты входят в показатель",
        "coverage_cell": "{states} гос.: {programmes}",
        "coverage_changes": "«{figure}»: состав меняется — {periods}. Значения этих лет несопоставимы.",
        "coverage_none": "Состав всех основных показателей одинаков во все годы ряда.",
        "coverage_summary": "Сопоставимость по годам: меняется состав показателей {figures} (см. раздел 2).",
        "revised_values": {
            "one": "пересмотрено {n} значение",
            "few": "пересмотрено {n} значения",
            "many": "пересмотрено {n} значений",
            "other": "пересмотрено {n} значения",
        },
        "revised_headline": "изменено основных показателей: {n}",
        "what": "Что",
        "headline_section": "Основные показатели",
        "state_figures": "Показатели государств",
        "implementation_section": "Выполнение мероприятий",
        "title": "Доклад о ходе выполнения межгосударственных программ СНГ за {year} год",
        "subtitle": "Совету глав государств Содружества Независимых Государств",
        "yes": "да",
        "no": "нет",
        "as_of": "Данные по состоянию на {as_of}; источник: {source}.",
        "versions": "Использованные версии отчётов ({n}): {files}.",
        "generated": "Издание подготовлено {generated}.",
        "headline": "Основные показатели за {year} год",
        "figure": "Показатель",
        "previous": "{year} год",
        "current": "{year} год",
        "change": "Изменение",
        "implementation": "Выполнение мероприятий программ по государствам",
        "state": "Государство",
        "due": "Мероприятий со сроком в году",
        "implemented": "Выполнено",
        "in_progress": "Выполняется",
        "not_implemented": "Не выполнено",
        "postponed": "Перенесено",
        "rate": "Доля выполненных",
        "report": "Версия отчёта",
        "indicators": "Показатели по государствам",
        "completeness": "Полнота и своевременность представления отчётов",
        "programme": "Программа",
        "received": "Представлен",
        "deadline": "Срок",
        "submitted": "Дата представления",
        "on_time": "В срок",
        "not_received": "Не представили отчёт",
        "late": "Представили с опозданием",
        "none": "нет",
        "quality": "Замечания о качестве данных",
        "findings": "Замечания проверок и ход их рассмотрения (предупреждения и ошибки)",
        "review_status": "Статус",
        "findings_by_status": "Замечания за год по статусам: {counts}.",
        "no_findings": "Замечаний нет.",
        "severity": "Уровень",
        "rule": "Правило",
        "message": "Описание",
        "indicator": "Показатель",
        "not_reported": "Сведения не представлены",
        "no_not_reported": "Все показатели представлены.",
        "disaggregation": "Разбивка",
        "revisions": "Изменения по сравнению с предыдущим изданием",
        "no_previous": "Предыдущего издания нет: это первое издание за данный год.",
        "no_revisions": "Показатели не изменились по сравнению с изданием от {previous}.",
        "revisions_since": "Изменённые показатели по сравнению с изданием от {previous}:",
        "table": "Таблица",
        "row": "Строка",
        "column": "Графа",
        "was": "Было",
        "now": "Стало",
        "charts": "Диаграммы",
        "series_title": "Основные показатели за период программ",
        "states_title": "Показатели государств за {year} год",
        "annex": "Все таблицы доклада приведены в приложении annex.xlsx.",
        "illustrative": "Перечень мероприятий программ иллюстративный (тексты мероприятий не опубликованы).",
    },
    "en": {
        "executive_committee": "Executive Committee of the Commonwealth of Independent States",
        "edition_of": "Edition of {date}",
        "contents": "Contents",
        "quote": "“{text}”",
        "as_of_cover": "Data as of {as_of}",
        "dash_note": "“—”: the state did not report the figure.",
        "about": "About this edition",
        "summary": "Summary",
        "series": "Headline figures by year",
        "states_chart": "States' figures",
        "synthetic_banner": "SYNTHETIC DATA",
        "synthetic_text": (
            "Every figure in this edition comes from generated (sample) reports, not from the states' "
            "reports. Not for official use."
        ),
        "synthetic_some": (
            "Some figures come from generated (sample) reports, not from the states' reports "
            "({n} of {total} reports). Not for official use."
        ),
        "synthetic_footer": "SYNTHETIC DATA — not for official use",
        "source_short": "Source: the states' reports ({n}); listed in the annex.",
        "source_note": (
            "Every figure is read from the warehouse marts as of {as_of}; {n} state reports were used (the "
            "latest accepted versions). The full list of reports, versions and tables is in the annex "
            "(annex.xlsx)."
        ),
        "reports_received": "Reports received: {received} of {expected} expected; on time: {on_time}.",
        "implementation_overall": (
            "Measures implemented under the {programme} programme: {implemented} of {due} ({rate})."
        ),
        "revised_mark": "revised",
        "revised_note": "* Figure revised since the edition of {previous}.",
        "signature": "Chairman of the Executive Committee — Executive Secretary of the CIS",
        "signature_line": "signature",
        "date_line": "date",
        "unit_count": "Number",
        "unit_persons_events": "Number (crimes, persons, groups, channels)",
        "year_axis": "Year",
        "missing_bar": "not reported",
        "no_report": "no report with these figures",
        "missing_legend": (
            "“not reported”: the state did not report the figure; “no report with these figures”: the state "
            "sent no report of a programme that carries them"
        ),
        "report_year_line": "reporting year",
        "composition_line": "the make-up of the figure changes (see the table below)",
        "coverage": "Comparability: which reports make up each figure",
        "coverage_cell": "{states} states: {programmes}",
        "coverage_changes": (
            "“{figure}”: composition changes — {periods}. Values of these years are not comparable."
        ),
        "coverage_none": "Every headline figure is made of the same reports in every year of the series.",
        "coverage_summary": "Comparability: the make-up of {figures} changes over the years (see section 2).",
        "revised_values": {"one": "{n} value revised", "other": "{n} values revised"},
        "revised_headline": "headline figures changed: {n}",
        "what": "What",
        "headline_section": "Headline figures",
        "state_figures": "States' figures",
        "implementation_section": "Implementation of measures",
        "title": "Report on the implementation of the CIS inter-state programmes in {year}",
        "subtitle": "To the Council of Heads of State of the Commonwealth of Independent States",
        "yes": "yes",
        "no": "no",
        "as_of": "Data as of {as_of}; source: {source}.",
        "versions": "Report versions used ({n}): {files}.",
        "generated": "Edition prepared {generated}.",
        "headline": "Headline figures for {year}",
        "figure": "Figure",
        "previous": "{year}",
        "current": "{year}",
        "change": "Change",
        "implementation": "Implementation of programme measures by state",
        "state": "State",
        "due": "Measures due in the year",
        "implemented": "Implemented",
        "in_progress": "In progress",
        "not_implemented": "Not implemented",
        "postponed": "Postponed",
        "rate": "Implementation rate",
        "report": "Report version",
        "indicators": "Indicators by state",
        "completeness": "Completeness and timeliness of reporting",
        "programme": "Programme",
        "received": "Received",
        "deadline": "Deadline",
        "submitted": "Submitted",
        "on_time": "On time",
        "not_received": "Did not report",
        "late": "Reported late",
        "none": "none",
        "quality": "Data-quality notes",
        "findings": "Validation findings and where their review stands (warnings and errors)",
        "review_status": "Status",
        "findings_by_status": "The year's findings by status: {counts}.",
        "no_findings": "No findings.",
        "severity": "Severity",
        "rule": "Rule",
        "message": "Description",
        "indicator": "Indicator",
        "not_reported": "Figures not reported",
        "no_not_reported": "Every figure was reported.",
        "disaggregation": "Breakdown",
        "revisions": "Figures revised since the last edition",
        "no_previous": "No earlier edition: this is the first edition for the year.",
        "no_revisions": "No figure changed since the edition of {previous}.",
        "revisions_since": "Figures changed since the edition of {previous}:",
        "table": "Table",
        "row": "Row",
        "column": "Column",
        "was": "Was",
        "now": "Now",
        "charts": "Charts",
        "series_title": "Headline figures over the programme period",
        "states_title": "States' figures for {year}",
        "annex": "Every table of the report is in the annex annex.xlsx.",
        "illustrative": "The programme measure registry is illustrative (the measure texts are not public).",
    },
}


# Short names of the programmes for table cells and notes (the full titles are the
# dim_programme mart's, used in headings).
PROGRAMME_SHORT = {
    "ru": {"THB": "торговля людьми", "IM": "незаконная миграция", "CR": "борьба с преступностью"},
    "en": {"THB": "trafficking in persons", "IM": "illegal migration", "CR": "crime"},
}

# A finding's severity as a word of the language.
SEVERITY = {
    "ru": {"warning": "предупреждение", "error": "ошибка"},
    "en": {"warning": "Warning", "error": "Error"},
}

# The warehouse's own rules across reports and years (rpt_validation_findings), as a
# reader says them, with the finding's two values; the intake's findings carry their own
# Russian and English text.
RULES = {
    "ru": {
        "year_over_year_jump": "резкое изменение по сравнению с прошлым годом: {left} против {right}",
        "modified_z_score_outlier": "значение {left} далеко от медианы других лет государства ({right})",
    },
    "en": {
        "year_over_year_jump": "sharp change from the previous year: {left} against {right}",
        "modified_z_score_outlier": "value {left} far from the median of the state's other years ({right})",
    },
}

# A breakdown ("disaggregation") as the reader says it: dimension, then member.
BREAKDOWN = {
    "ru": {
        "total": "всего",
        "sex": "пол",
        "female": "женщины",
        "male": "мужчины",
        "age_group": "возраст",
        "form_of_exploitation": "форма эксплуатации",
        "operation": "операция",
        "citizenship": "гражданство",
        "route": "маршрут",
        "assistance_type": "вид помощи",
    },
    "en": {
        "total": "total",
        "sex": "sex",
        "female": "women",
        "male": "men",
        "age_group": "age",
        "form_of_exploitation": "form of exploitation",
        "operation": "operation",
        "citizenship": "citizenship",
        "route": "route",
        "assistance_type": "assistance",
    },
}
