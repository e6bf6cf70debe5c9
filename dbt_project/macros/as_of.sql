{#
    History: `dbt build --vars '{as_of: "2016-03-01 00:00:00+00"}'` rebuilds every figure
    as it stood at that moment. Unset (the default) means "everything loaded so far".
    No model reads the wall clock: the same data and the same as_of give the same rows.
#}
{% macro as_of_condition(loaded_at_column) -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is none or as_of | string | trim in ('', 'none', 'None', 'now') -%}
        true
    {%- else -%}
        {{ loaded_at_column }} <= '{{ as_of }}'::timestamptz
    {%- endif -%}
{%- endmacro %}
