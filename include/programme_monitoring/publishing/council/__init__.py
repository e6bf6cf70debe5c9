"""The yearly report to the Council of Heads of State (PDF, HTML, XLSX annex, edition record).
"""
