-- The rules every stored indicator value keeps, held by PostgreSQL for every writer (the
-- intake refuses such rows first, with a reason for the sender): a count is never negative,
-- and a value is stored exactly when it was reported (NULL is "not reported", never 0).
--
-- They were dbt tests on the staging view of this table, which re-read every value of every
-- report version at each build: after one new report at ten million values, seconds of a
-- build spent on rows that cannot change (a report's rows are immutable once loaded). A
-- check constraint costs an expression per row as it is written (no index probe). The
-- published fact table holds the same rules, and its key to dim_indicator holds the codes.
alter table raw.indicator_values
    add constraint indicator_values_value_not_negative check (value >= 0),
    add constraint indicator_values_reported_has_value check (is_reported = (value is not null));
