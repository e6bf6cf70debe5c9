"""Letters to senders: query letters on open findings and reminders of reports due soon.

``queries`` issues and records the numbered query letters (``audit.query_letters``),
``letter_files`` writes them as XLSX and PDF, ``reminders`` writes the reminders of
missing reports before their deadline. Everything goes into the sender's outbox,
``outbox/<sender_id>/``, whose checks (``intake.receipts.outbox_for``) are shared with the
receipts.
"""
