"""A correction that leaves out rows of the version it replaces: named and counted (``checks.dropped_rows``).

PostgreSQL compares the versions and hands back the first removed cells and their count
(``ledger.compare_versions``), so the refusal names the first ``checks.LISTED`` and counts
every one, also those it was not handed."""

from programme_monitoring.intake import checks


def _dropped(n: int) -> list[tuple[str, str]]:
    return [("TRN01", f"event=EVT-2016-{i:08d}") for i in range(n)]


def test_the_first_dropped_rows_are_named_and_all_are_counted():
    finding = checks.dropped_rows(1, _dropped(1000), 250_000, "indicator")
    assert "this correction leaves out 250000 indicator row(s) of version 1 it replaces" in finding.reason_en
    assert "TRN01 [event=EVT-2016-00000019] (+249980)" in finding.reason_en
    assert "EVT-2016-00000020" not in finding.reason_en
    assert "в исправлении нет 250000 строк показателей заменяемой версии 1" in finding.reason_ru
    assert finding.rule == "correction_drops_rows"


def test_without_a_count_the_rows_given_are_all_there_are():
    finding = checks.dropped_rows(2, [("1.1", ""), ("1.2", "")], None, "measure")
    assert "leaves out 2 measure row(s) of version 2 it replaces: 1.1, 1.2;" in finding.reason_en
    assert checks.dropped_rows(2, [], None, "measure") is None
    assert checks.dropped_rows(2, [], 0, "indicator") is None
