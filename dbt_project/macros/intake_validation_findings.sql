{#
    audit.validation_findings is written by the intake (programme_monitoring.warehouse);
    a warehouse created before that table existed has none. These macros let
    rpt_validation_findings read it when it exists and skip it otherwise.
#}
{% macro intake_validation_findings() -%}
    {{ return(existing_relation('audit', 'validation_findings')) }}
{%- endmacro %}

{% macro intake_validation_findings_columns(relation) -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list) }}
{%- endmacro %}
