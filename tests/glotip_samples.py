"""Shared by the UNODC GLOTIP tests (unit, integration, e2e): the real release and workbooks
of its layout built from its rows.

Imported as ``from glotip_samples import ...`` (pytest puts this folder on ``sys.path``).
``real_release()`` reads ``data/unodc/unodc_data_glotip_2023-05-30.xlsx`` once per test
process. ``write_release`` writes a real .xlsx workbook in GLOTIP's layout (banner with
the HYPERLINK formula UNODC puts there, release date, header, rows) so that a test can
change one thing of the layout and see the release refused.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import openpyxl
import pandas as pd
from programme_monitoring.settings import PROJECT_ROOT
from programme_monitoring.sources.glotip import EXPECTED_COLUMNS, RAW_COLUMNS, Release, read_release

REAL_FILE = PROJECT_ROOT / "data" / "unodc" / "unodc_data_glotip_2023-05-30.xlsx"
REAL_SHA256 = "b0d5fcedaef86dcae33f74ef28f8e0cd25f49f12446d46642f05160159f15119"
# The twelve reporting states, written here (not read from the seed) so the tests check the project.
ISO3 = {"AZE", "ARM", "BLR", "KAZ", "KGZ", "MDA", "RUS", "TJK", "TKM", "UZB", "UKR", "GEO"}
BANNER_FORMULA = '=HYPERLINK("[mailto:unodc_ddds@un.org]\'data_glotip_1\'!B1", "unodc_ddds@un.org")'


@cache
def real_release() -> Release:
    return read_release(REAL_FILE, ISO3)


def member_rows() -> list[list]:
    """The real rows of the twelve states, as cell values in the sheet's column order."""
    frame = real_release().values
    frame = frame[frame.iso3_code.isin(ISO3)]
    return [
        [None if pd.isna(v) else v for v in row] for row in frame[list(RAW_COLUMNS)].itertuples(index=False)
    ]


def write_release(
    path: Path,
    rows: list[list],
    release: object = "30/05/2023",
    header: tuple[str, ...] | list[str] = EXPECTED_COLUMNS,
) -> Path:
    """A GLOTIP-layout workbook: banner (with UNODC's formula), release date, header, rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "data_glotip_1"
    sheet.append(["UNODC", BANNER_FORMULA])
    sheet.append([release])
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return Path(path)


def column(name: str) -> int:
    """Index of a GLOTIP column in a row list."""
    return EXPECTED_COLUMNS.index(name)
