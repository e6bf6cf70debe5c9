"""The URS statistics feed: per-person border and residence events, pseudonymised at intake.

``pseudonym`` (the key, its fingerprint, the keyed HMAC, masking secrets in Airflow),
``reader`` (an extract's columns and rules, read in checked blocks through
``urs.csv_blocks``) and ``extract`` (ingesting: ledger, lock, COPY, change of key).
May import ``settings``, ``reference``, ``report_format`` and ``warehouse``; nothing above it.
Synthetic extracts live in ``dev.urs_extracts``.
"""
