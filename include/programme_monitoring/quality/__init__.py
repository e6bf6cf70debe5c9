"""Great Expectations: the rules that guard every load of a member-state report.

``suites`` defines the blocking and warning suites (and writes the committed JSON under
``expectations/``), ``validation`` runs them on parsed reports, ``data_docs`` renders the
validations into GX's site, and ``findings`` is the one finding type every check reports in.
Imports ``report_format`` (the parsed report it checks) and ``reference``; never the
database or the intake.
"""
