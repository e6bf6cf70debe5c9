{#
    Helpers of the incremental intermediate models (int_indicator_values_accepted,
    int_urs_indicators_monthly). They run while the model compiles, so the keys to
    process are written into the compiled SQL as literals: PostgreSQL then pushes the
    filter down through the staging views to the raw tables, and target/run/ shows
    exactly what was processed.
#}

{#- The distinct values of one indexed text column of a table, by a loose index scan
    (one index probe per value, not a pass over every row). -#}
{% macro distinct_indexed_values(relation, column) -%}
    {%- set query -%}
        with recursive found (value) as (
            (select {{ column }} from {{ relation }} order by {{ column }} limit 1)
            union all
            select (
                select next_row.{{ column }} from {{ relation }} as next_row
                where next_row.{{ column }} > found.value
                order by next_row.{{ column }} limit 1
            )
            from found
            where found.value is not null
        )

        select value from found where value is not null
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- `column in ('a', 'b')` for a list of text keys; `false` for none. -#}
{% macro in_text_list(column, values) -%}
    {%- if values | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in (
            {%- for value in values | sort -%}
                '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}

{#- int_indicator_values_accepted: {'stale': report ids in the table that no longer count,
    'new': report ids that count and are not in the table yet}. -#}
{% macro report_changes(latest_reports) -%}
    {%- set changes = {'stale': [], 'new': []} -%}
    {%- if execute and is_incremental() -%}
        {%- set stored = distinct_indexed_values(this, 'report_id') -%}
        {%- set current = run_query('select report_id from ' ~ latest_reports).columns[0].values() | list -%}
        {%- for report_id in stored if report_id not in current -%}
            {%- do changes.stale.append(report_id) -%}
        {%- endfor -%}
        {%- for report_id in current if report_id not in stored -%}
            {%- do changes.new.append(report_id) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(changes) }}
{%- endmacro %}

{#- Pre-hook of int_indicator_values_accepted: delete the rows of reports that no longer count. -#}
{% macro delete_stale_report_rows(latest_reports) -%}
    {%- set stale = report_changes(latest_reports).stale -%}
    {%- if stale -%}
        delete from {{ this }} where {{ in_text_list('report_id', stale) }}
    {%- endif -%}
{%- endmacro %}

{#- int_urs_indicators_monthly: the months (ISO dates) to recompute: those with events of
    a loaded extract that none of the table's months lists yet. -#}
{% macro urs_months_to_rebuild(events, ledger) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set new_extracts = run_query(
        'select extract_id from ' ~ ledger ~ " where status = 'loaded' except "
        ~ 'select unnest(source_extract_ids) from ' ~ this
    ).columns[0].values() | list -%}
    {%- if not new_extracts -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set months = run_query(
        "select distinct date_trunc('month', event_date)::date::text from " ~ events
        ~ ' where ' ~ in_text_list('extract_id', new_extracts)
    ).columns[0].values() | list -%}
    {{ return(months) }}
{%- endmacro %}

{#- The filters the incremental models write into their SQL (`false` when nothing to do). -#}
{% macro new_reports_condition(column, latest_reports) -%}
    {{ in_text_list(column, report_changes(latest_reports).new) }}
{%- endmacro %}

{% macro urs_months_condition(column, events, ledger) -%}
    {{ in_text_list(column, urs_months_to_rebuild(events, ledger)) }}
{%- endmacro %}
