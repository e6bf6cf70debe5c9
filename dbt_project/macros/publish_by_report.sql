{#
    A mart published report by report (fct_indicator_values, one row per value: a million
    and more). After new reports only, programme_monitoring.warehouse.transform sets
    PM_PUBLISH_BY_REPORT for dbt: the mart is then built aside with only the rows of the
    reports its published table does not hold yet, and publishing, in its one transaction,
    deletes from the published table the rows of the reports that no longer count and
    inserts these (transform.PUBLISHED_BY_REPORT). A report's rows never change once loaded
    (its id is the SHA-256 of its file), so the published table then holds exactly what a
    whole rebuild gives, at the cost of the new reports' rows instead of every value.
    Changed code, a full refresh or a first build build it whole, as every other mart.
#}

{#- The published table to add reports to, or none when the mart is built whole. -#}
{% macro published_by_report() -%}
    {#- Read at run time only (execute): the variable is not part of what dbt parses. -#}
    {%- if not execute or env_var('PM_PUBLISH_BY_REPORT', '') != '1' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=this.database, schema=var('published_marts_schema'), identifier=this.identifier)) }}
{%- endmacro %}

{#- The filter of the mart's rows: `true` when it is built whole, else `column in (...)` with
    the reports of ``source`` that its published table does not hold. -#}
{% macro reports_to_publish_condition(column, source) -%}
    {%- set published = published_by_report() -%}
    {%- if published is none -%}
        true
    {%- else -%}
        {{ in_text_list(column, reports_to_add(published, source)) }}
    {%- endif -%}
{%- endmacro %}

{#- Report ids in ``source`` that ``published`` does not hold, by one index probe per period
    of each (audit.reports_by_period, warehouse migration 0011). -#}
{% macro reports_to_add(published, source) -%}
    {%- set query -%}
        select report_id from audit.reports_by_period('{{ source.include(database=false) }}')
        except
        select report_id from audit.reports_by_period('{{ published.include(database=false) }}')
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}
