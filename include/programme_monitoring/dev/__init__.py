"""Synthetic data for the demo, the tests and the benchmarks: member-state reports
(``samples``), URS extracts (``urs_extracts``) and the small hand-made warehouse fixture of the
dbt tests (``warehouse_fixture``), all with made-up figures and people. Never used by a
production path. May import ``reference``, ``report_format``, ``warehouse`` and ``urs.reader``
(the extract's columns); nothing imports ``dev`` but the demo, the tests and the benchmarks.
"""
