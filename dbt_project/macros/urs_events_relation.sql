{#
    raw.urs_events is created by the first URS intake (or `access apply`); until then the
    URS models build empty. Returns the relation, or none when it does not exist yet.
#}
{% macro urs_events_relation() -%}
    {{ return(existing_relation('raw', 'urs_events')) }}
{%- endmacro %}
