{#
    Which accepted version of a state x programme x year is the newest: the one owner of the
    rule (int_reports_latest_version, rpt_report_approvals). A higher report_version wins;
    ties go to the later submission_date, then the later load (then report_id, only to make
    the choice deterministic).
#}
{% macro newest_version_order() -%}
    report_version desc,
    submission_date desc,
    loaded_at desc,
    report_id desc
{%- endmacro %}
