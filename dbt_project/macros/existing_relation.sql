{#
    A table the intake creates when it first needs it (so a fresh warehouse may lack it):
    its relation, or none when it does not exist yet (or at parse time).
#}
{% macro existing_relation(schema, identifier) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}
