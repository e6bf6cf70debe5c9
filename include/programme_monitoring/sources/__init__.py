"""External statistical sources the warehouse compares the member states' reports with.

``glotip`` reads and checks a UNODC GLOTIP data export (the layout of the release of
30 May 2023: banner, release date, header, one row per published value) without touching
the database; ``unodc`` loads a checked release exactly once (content hash), lets a later
release supersede the one in force, and records refusals. Sits beside ``intake`` and
``urs``: may import ``settings``, ``reference``, ``report_format`` and ``warehouse``.
"""
