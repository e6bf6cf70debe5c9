-- The rows of one report, found without reading every stored value: the intake reads the
-- cells of the version a correction replaces (intake.ledger.loaded_cells), the transform
-- reads the rows of the new reports (int_indicator_values_accepted), and removing a header
-- looks for rows still under it (migration 0003). Without an index each is a pass over
-- every value of every version: at 3M values 0.23 s to find the 5 rows of a small report,
-- 0.003 s with this one.
--
-- A block-range index (BRIN), not a b-tree: a report's rows are written by one COPY, one
-- after the other, so each range of 16 pages holds the rows of one report or a few, and the
-- index costs the COPY nothing measurable (a b-tree would add an entry per row). Ranges
-- filled since autovacuum last summarised them are always read, so a lookup right after a
-- load reads the newest rows too.
create index if not exists indicator_values_report_brin on raw.indicator_values
    using brin (report_id) with (pages_per_range = 16, autosummarize = on);
