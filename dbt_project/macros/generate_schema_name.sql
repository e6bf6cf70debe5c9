{#
    Custom schema names are used as they are (reference, staging, intermediate, marts),
    not prefixed with the target schema: every environment has its own database.
    Two vars move layers elsewhere (programme_monitoring.transform sets them):
      marts_schema  the marts alone are built aside (`marts_build`), tested there, and
                    swapped in for `marts` in one transaction;
      layer_suffix  a history build (var as_of) puts staging, intermediate and marts in
                    their own schemas (`staging_as_of`, ...), never touching the live ones.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set suffix = var('layer_suffix', '') -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts' ~ suffix) }}
    {%- elif custom_schema_name | trim in ('staging', 'intermediate') -%}
        {{ custom_schema_name | trim }}{{ suffix }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
