{#
    A message template of the rule catalogue (seed validation_rules) with its named
    placeholders filled in: render_message('rules.message_en', {'indicator': 'x', 'left': 'y'})
    replaces {indicator} and {left} by those SQL expressions (text; NULL reads as '').
#}
{% macro render_message(template, values) -%}
    {%- set ns = namespace(sql=template) -%}
    {%- for name, expression in values.items() -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '{" ~ name ~ "}', coalesce((" ~ expression ~ ")::text, ''))" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}

{# A number as the reader's language writes it: no trailing zeros, a decimal comma in Russian. #}
{% macro message_number(expression, lang) -%}
    {%- if lang == 'ru' -%}
        replace(trim_scale(({{ expression }})::numeric)::text, '.', ',')
    {%- else -%}
        trim_scale(({{ expression }})::numeric)::text
    {%- endif -%}
{%- endmacro %}
