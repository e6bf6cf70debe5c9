"""XLSX reading: openpyxl (read-only) vs python-calamine on a 100,000-row report.

Run: .venv/bin/python bench/bench_xlsx.py [rows]
Writes one synthetic workbook with write_report, then times each step in a fresh
subprocess (best of 3 wall-clock runs; peak resident memory, VmHWM, of that process) and prints
a Markdown table. python-calamine is optional: its rows are skipped if not installed.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = {
    "pre-checks (file_safety.inspect_xlsx: zip directory, DTD scan, CRC read, merges/formulas)": """
from programme_monitoring.report_format.file_safety import inspect_xlsx
inspect_xlsx(path)
""",
    "openpyxl read_only=True, data_only=True: iterate the indicators sheet": """
import openpyxl
wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
ws = wb["Показатели | Indicators"]
ws.reset_dimensions()
n = sum(1 for _ in ws.iter_rows(values_only=True))
wb.close()
""",
    "pandas.read_excel(engine='openpyxl') of the indicators sheet": """
import pandas as pd
frame = pd.read_excel(path, sheet_name="Показатели | Indicators", engine="openpyxl")
""",
    "python-calamine: to_python() of the indicators sheet": """
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(str(path))
n = len(wb.get_sheet_by_name("Показатели | Indicators").to_python())
""",
    "parse_report (pre-checks + openpyxl + row checks) -> ParsedReport": """
from programme_monitoring.report_format.reader import parse_report
r = parse_report(path)
assert len(r.indicator_values) == ROWS
""",
}

RUNNER = """
import json, re, sys, time
from pathlib import Path
path = Path(sys.argv[1]); ROWS = int(sys.argv[2])
start = time.perf_counter()
{code}
elapsed = time.perf_counter() - start
# VmHWM (peak resident set of this process image): ru_maxrss would carry the parent's over exec
hwm = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({{"seconds": elapsed, "max_rss_mb": hwm / 1024}}))
"""


def make_workbook(path: Path, rows: int) -> None:
    from programme_monitoring.report_format.records import ReportHeader
    from programme_monitoring.report_format.writer import write_report

    header = ReportHeader("KZ", "МВД Республики Казахстан (SYNTHETIC)", "THB", 2014, dt.date(2015, 2, 14), 1)
    values = [
        {"indicator_code": "THB01", "disaggregation": f"route=R{i:06d}", "value": i, "comment": "сведения"}
        for i in range(rows)
    ]
    write_report(header, values, [], path, "xlsx")


def measure(code: str, path: Path, rows: int) -> dict | None:
    best = None
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", RUNNER.format(code=code), str(path), str(rows)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            if "No module named 'python_calamine'" in done.stderr:
                return None
            raise RuntimeError(done.stderr)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    return best


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "include"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.xlsx"
        start = time.perf_counter()
        make_workbook(path, rows)
        written = time.perf_counter() - start
        import zipfile

        sheet = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet2.xml")
        print(f"{rows:,} indicator rows: {path.stat().st_size / 2**20:.1f} MB xlsx, sheet XML "
              f"{sheet.file_size / 2**20:.1f} MB; written by write_report in {written:.1f} s")  # fmt: skip
        print(f"Python {sys.version.split()[0]}\n")
        print("| step | seconds (best of 3) | peak RSS MB |")
        print("|---|---|---|")
        for name, code in STEPS.items():
            result = measure(code, path, rows)
            if result is None:
                print(f"| {name} | not installed | |")
            else:
                print(f"| {name} | {result['seconds']:.2f} | {result['max_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
