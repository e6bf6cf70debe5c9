"""The intake of member-state reports: from a file in the landing area to rows in ``raw``.

Decisions (load, refuse, supersede, duplicate) in ``ingest``; reading and checking each
file, so that whatever fails refuses that file alone, in ``reading``; the intake's own
rules (screening, senders, completeness, dates, corrections) in ``checks``; every SQL
statement they need (ledger, locks, import tables, raw rows) in ``ledger``; a large CSV
report's values COPYed while it is still read, in the transaction its load continues, in
``head_start``; the remote landing area in ``remote_landing``; the import summary sent back
for every file in ``summary``. May import ``report_format``, ``quality`` and ``warehouse``;
nothing above it.
"""
