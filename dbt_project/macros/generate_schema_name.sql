{#
    Custom schema names are used as they are (reference, staging, intermediate, marts),
    not prefixed with the target schema: every environment has its own database.
    The marts alone can be built aside: with the var `marts_schema` (set by
    programme_monitoring.transform to `marts_build`) they land in that schema, are tested
    there, and transform.py swaps the schema in for `marts` in one transaction.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
