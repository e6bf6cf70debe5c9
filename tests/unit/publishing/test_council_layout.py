"""The Council report laid out by WeasyPrint as the PDF will be: no table row split across
two pages, the header of a table repeated on every page it continues on, and the small
tables (the summary's headline figures) on one page."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def long_document(mart_data, tmp_path_factory):
    """An edition with tables long enough to run over several pages, rows of several lines."""
    import copy

    import weasyprint
    from programme_monitoring.publishing.council.editions import Edition
    from programme_monitoring.publishing.council.render import build_context, render_html
    from programme_monitoring.publishing.html import TEMPLATES_DIR

    data = copy.deepcopy(mart_data)
    findings = data.sections["findings"]
    template = findings.rows[0]
    message = "Сумма значений в разбивке по полу не равна итогу; проверьте строку отчёта и исправьте её. "
    findings.rows = [
        (f"f{i}", "RU", "THB", 2014, "THB04", "warning", "W01", None, None, None)
        + (message * (1 + i % 4), (message * (1 + i % 4)).upper(), *template[-4:])
        for i in range(90)
    ]
    edition = Edition(2014, data, "2026-11-28T06:00:00+00:00", [], None, tmp_path_factory.mktemp("layout"))
    html = render_html(build_context(edition, "ru"))
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).render()


def _rows(page):
    """(row element, is a header row, table element) of every table row laid out on the page."""
    from weasyprint.formatting_structure.boxes import TableBox, TableRowBox, TableRowGroupBox

    found = []

    def walk(box, group=None, table=None):
        if isinstance(box, TableBox):
            table = box.element
        if isinstance(box, TableRowGroupBox):
            group = box
        if isinstance(box, TableRowBox):
            found.append((box.element, bool(group is not None and group.is_header), table))
        for child in getattr(box, "children", ()):
            walk(child, group, table)

    walk(page._page_box)
    return found


def test_the_long_tables_run_over_several_pages(long_document):
    pages_with_body_rows = [p for p in long_document.pages if any(not h for _, h, _ in _rows(p))]
    assert len(pages_with_body_rows) >= 4


def test_no_table_row_spans_two_pages_and_a_continued_table_repeats_its_header(long_document):
    every = [_rows(page) for page in long_document.pages]
    seen: dict[int, int] = {}
    for number, rows in enumerate(every, start=1):
        for element, is_header, _ in rows:
            if is_header:
                continue  # a header row is repeated on every page by design
            first = seen.setdefault(id(element), number)
            assert first == number, f"a row begins on page {first} and continues on page {number}"
    with_header = {id(t) for rows in every for _, h, t in rows if h}  # the signature block has none
    continued = 0
    for rows in every:
        on_page = {id(t) for _, h, t in rows if h}
        for _, is_header, table in rows:
            if not is_header and id(table) in with_header:
                assert id(table) in on_page
        continued += len(on_page)
    assert continued > len(with_header)  # some table does continue on a later page


def test_the_small_tables_of_headline_figures_stay_on_one_page(long_document):
    """The summary's headline table and the comparability table are never split."""
    from programme_monitoring.publishing.labels import figure_labels

    labels = tuple(figure_labels("ru").values())
    pages_of: dict[int, set[int]] = {}
    for number, page in enumerate(long_document.pages, start=1):
        for element, is_header, table in _rows(page):
            if not is_header and any(label in "".join(element.itertext()) for label in labels):
                pages_of.setdefault(id(table), set()).add(number)
    assert len(pages_of) >= 2  # the summary and the comparability table
    assert all(len(pages) == 1 for pages in pages_of.values()), pages_of
