"""Great Expectations: the blocking and warning suites that guard every load, and how they run.

Imports ``report_format`` (the parsed report it checks) and ``reference``; never the
database or the intake.
"""
