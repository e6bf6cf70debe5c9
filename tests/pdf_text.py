"""The text of a PDF the project renders, page after page, as a reader's copy would give it.

Imported as ``from pdf_text import pdf_text`` (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

from pathlib import Path


def pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text
