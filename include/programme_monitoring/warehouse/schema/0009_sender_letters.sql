-- Letters to senders (programme_monitoring.publishing.letters): query letters listing a
-- sender's open findings, numbered so that an answer can cite letter and item, and the
-- reminders of reports due soon and not yet received, so that none is sent twice.
--
-- A query letter is numbered EC-Q-<year issued>-<state>-<sequence of that sender in that
-- year, 4 digits>; its items are the findings as they were when it was issued (values,
-- messages and place in the report), each citing the finding's stable finding_id.

create table if not exists audit.query_letters (
    letter_number   text primary key,
    sender_id       text not null,
    state_code      text not null,
    issue_year      integer not null,
    sequence        integer not null check (sequence > 0),
    reporting_year  integer,  -- the year the letter was limited to; null: every year
    issued_at       timestamptz not null default now(),
    item_count      integer not null check (item_count > 0),
    unique (sender_id, issue_year, sequence)
);

create table if not exists audit.query_letter_items (
    letter_number   text not null references audit.query_letters (letter_number),
    item_number     integer not null check (item_number > 0),
    finding_id      text not null,
    rule_code       text not null,
    state_code      text not null,
    programme_code  text not null,
    reporting_year  integer not null,
    indicator_code  text,
    disaggregation  text,
    left_value      numeric(24, 4),
    operator        text,
    right_value     numeric(24, 4),
    values_involved text,  -- JSON, as in the mart
    message_en      text not null,
    message_ru      text not null,
    source_file     text,
    source_sheet    text,
    source_row      integer,
    primary key (letter_number, item_number)
);
create index if not exists query_letter_items_finding on audit.query_letter_items (finding_id);

create table if not exists audit.sender_reminders (
    sender_id       text not null,
    state_code      text not null,
    programme_code  text not null,
    reporting_year  integer not null,
    report_deadline date not null,
    sent_at         timestamptz not null default now(),
    file_name       text not null,
    primary key (sender_id, state_code, programme_code, reporting_year, report_deadline)
);
