"""The member-state report format: what a file a state sends looks like, and how it is read.

Labels and aliases, value parsers, the collector of refusals, one reader per format
(XLSX, CSV, JSON), the writer of reports and blank templates, and the hazard checks that
run before any parser opens a file (``file_safety``). Pure Python on files: imports only
``settings`` and ``reference``, never the database.
"""
