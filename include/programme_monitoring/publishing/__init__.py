"""What goes out: the headline figures (``headline``) and the yearly report to the Council of
Heads of State (``council``), read from the marts only. May import ``warehouse``,
``report_format`` and ``reference``.

Shared by both: ``labels`` (the headline columns; figure labels from the seed, the others as
the mart documents them), ``formatting`` (numbers and dates in Russian and English, by
Babel) and ``html`` (the one Jinja environment, templates in ``templates/``).
"""
