"""The JSON reader of report template version 1 (for systems that send data directly).

One object: ``template_version``, ``header`` (the HEADER_FIELDS keys) and two arrays of
objects, ``indicator_values`` (JSON_INDICATOR_KEYS) and ``measures`` (JSON_MEASURE_KEYS).
Keys are exact; unknown keys are refused. A problem is named by section (as the sheet), the
entry's position in its array, 1-based (as the row), and the key (as the column).
"""

from __future__ import annotations

import json
from pathlib import Path

from programme_monitoring.report_format.collector import Collector
from programme_monitoring.report_format.labels import (
    HEADER_FIELDS,
    JSON_INDICATOR_KEYS,
    JSON_MEASURE_KEYS,
    REQUIRED,
)
from programme_monitoring.report_format.records import TEMPLATE_VERSION, ReportHeader

SECTIONS = ("template_version", "header", "indicator_values", "measures")


def read_json(path: Path, out: Collector) -> ReportHeader:
    """Hand the document's header and entries to ``out``; returns the header."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise out.error(f"not UTF-8 text (byte {exc.start}): save the JSON as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise out.error(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise out.error(f"the JSON must be an object with {', '.join(SECTIONS)}")
    for key in doc:
        if key not in SECTIONS:
            raise out.error(f"unknown key {key!r}: expected {', '.join(SECTIONS)}", column=key)
    if doc.get("template_version") != TEMPLATE_VERSION:
        raise out.error(f"template_version must be {TEMPLATE_VERSION}", column="template_version")
    head = doc.get("header")
    if not isinstance(head, dict):
        raise out.error("header must be an object with " + ", ".join(HEADER_FIELDS), column="header")
    for key in head:
        if key not in HEADER_FIELDS:
            raise out.error(
                f"unknown header key {key!r}: expected {', '.join(HEADER_FIELDS)}", "header", column=key
            )
    fields = {key: (value, None) for key, value in head.items()}
    header = out.header(fields, "header", {key: key for key in HEADER_FIELDS})
    for section, keys, add in (
        ("indicator_values", JSON_INDICATOR_KEYS, out.indicator),
        ("measures", JSON_MEASURE_KEYS, out.measure),
    ):
        items = doc.get(section, [])
        if not isinstance(items, list):
            raise out.error(f"{section} must be an array of objects", column=section)
        names = {key: key for key in keys}
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise out.error("each entry must be an object", section, number)
            for key in item:
                if key not in keys:
                    raise out.error(f"unknown key {key!r}: expected {', '.join(keys)}", section, number, key)
            required = REQUIRED["indicator" if section == "indicator_values" else "measure"]
            for key in required:
                if key not in item:
                    raise out.error(
                        f"key {key!r} is missing (use null for a value not reported)", section, number, key
                    )
            add(item, section, number, names)
    return header
