"""The yearly report to the Council of Heads of State (PDF, HTML, XLSX annex, edition record).

``queries`` reads the marts (one query per table), ``text`` holds the words in Russian and
English, ``charts`` draws the two charts (matplotlib), ``render`` makes the HTML (Jinja)
and the PDF (WeasyPrint), ``annex`` writes the XLSX annex, and ``editions`` compares an
edition with the previous one and writes them all (``write_council_report``, the entry
point). ``editions`` imports the others; they import ``editions`` only for type hints.
"""
