{#
    raw.urs_events is created by the first URS intake (or `access apply`); until then the
    URS models build empty. Returns the relation, or none when it does not exist yet.
#}
{% macro urs_events_relation() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='raw', identifier='urs_events')) }}
{%- endmacro %}
