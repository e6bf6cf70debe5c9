"""The member-state report format: what a file a state sends looks like, and how it is read.

``labels`` (the one table of sheet, field, column and status names; ``label``, ``lookup``),
``values`` (the scalar parsers and the bounds: count, code, date, text, disaggregation from
the code lists, status), ``records`` (``ParsedReport``, ``ReportFormatError`` with every
``Problem`` of a file, ``Refusal``, ``where``), ``collector`` (the rules every format
shares, and its refusals), one reader per format (``xlsx_reader``, ``csv_reader``,
``json_reader``) behind ``reader.parse_report``, ``writer`` (``write_report``, the blank
template), and ``file_safety`` (the hazard checks that run before any parser opens a file).
Inside, imports run one way: labels -> values -> collector -> the format readers -> reader.
Pure Python on files: imports only ``settings`` and ``reference``, never the database.
"""
