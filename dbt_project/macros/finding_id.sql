{#
    The identity of a finding: one problem of one state's report for one programme, year,
    indicator and breakdown under one rule, whatever version, rebuild or origin (intake or
    warehouse) found it. Reviews, letters and receipts cite it; it stays the same when the
    marts are rebuilt or a corrected version is loaded. 16 hex characters of an MD5, e.g.
    "3f9a0c2e7b1d4a65": short enough to cite in a letter.
#}
{% macro finding_id(rule_code, state_code, programme_code, reporting_year, indicator_code, disaggregation) -%}
    left(md5(concat_ws(
        '|', {{ rule_code }}, {{ state_code }}, {{ programme_code }}, ({{ reporting_year }})::text,
        coalesce({{ indicator_code }}, ''), coalesce({{ disaggregation }}, '')
    )), 16)
{%- endmacro %}
