"""What python-calamine tells about the XLSX hazards the report reader checks (evaluation only).

    .venv/bin/pip install python-calamine   # not in the lock: evaluated, not adopted
    .venv/bin/python bench/check_calamine.py

Writes one workbook with openpyxl holding each hazard the reader (openpyxl today) and
``file_safety`` check, reads it with python-calamine and prints, hazard by hazard, what
calamine exposes. The findings are in bench/README.md ("XLSX with python-calamine").
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path


def write_workbook(path: Path, epoch_1904: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = Workbook()
    if epoch_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "Indicators"
    sheet.append(["code", "value", "hidden column", "comment"])  # row 1
    sheet.append(["int", 5, "x", None])  # row 2: an integer cell
    sheet.append(["float whole", 5.0, "x", None])  # row 3: a float cell with a whole value
    sheet.append(["float", 2.5, "x", None])  # row 4
    # row 5 left empty
    sheet["A6"], sheet["B6"] = "formula without cached result", "=1+1"  # openpyxl saves no result
    sheet["A7"], sheet["B7"] = "date", dt.date(2016, 3, 1)
    sheet["A8"], sheet["B8"] = "hidden row", 7
    sheet.row_dimensions[8].hidden = True
    sheet.column_dimensions["C"].hidden = True
    sheet["A9"], sheet["B9"] = "merged", 9
    sheet.merge_cells("A9:B9")
    sheet["A10"] = "empty string"
    sheet["B10"] = ""
    hidden = book.create_sheet("Hidden")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "hidden sheet"
    very = book.create_sheet("VeryHidden")
    very.sheet_state = "veryHidden"
    very["A1"] = "very hidden sheet"
    book.save(path)


def report(path: Path, label: str) -> None:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    print(f"== {label}")
    print("sheets:", [(m.name, str(m.visible), str(m.typ)) for m in book.sheets_metadata])
    sheet = book.get_sheet_by_name("Indicators")
    print("dimensions: start", sheet.start, "end", sheet.end, "height", sheet.height, "width", sheet.width,
          "total", sheet.total_height, sheet.total_width)  # fmt: skip
    print("merged ranges:", sheet.merged_cell_ranges)
    for number, row in enumerate(sheet.to_python(skip_empty_area=False), start=1):
        print(f"  row {number}:", [(type(v).__name__, v) for v in row])


def main() -> int:
    try:
        import python_calamine
    except ImportError:
        print("python-calamine is not installed: .venv/bin/pip install python-calamine")
        return 1
    print("python-calamine", getattr(python_calamine, "__version__", "?"))
    with tempfile.TemporaryDirectory() as tmp:
        for epoch_1904 in (False, True):
            path = Path(tmp) / f"hazards_{'1904' if epoch_1904 else '1900'}.xlsx"
            write_workbook(path, epoch_1904)
            report(path, f"date system {'1904' if epoch_1904 else '1900'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
