{#
    A total equals the sum of its parts in another model (blocking check on the marts):
    for every key, model.column_name = sum(parts_expression) over parts_model rows with
    the same key. NULL on both sides (nothing reported) passes; NULL against a number
    fails. Keys missing on one side count as NULL there.
    arguments:
      key_columns:        [reporting_year]           keys of the model
      parts_model:        ref('rpt_indicator_time_series')
      parts_expression:   value                      summed per key
      parts_key_columns:  [reporting_year]           defaults to key_columns
      where / parts_where: optional filters on either side
#}
{% test equals_sum_of(
    model, column_name, key_columns, parts_model, parts_expression,
    parts_key_columns=none, where=none, parts_where=none
) %}

{%- set parts_key_columns = parts_key_columns or key_columns %}

with

whole as (

    select
        {% for key in key_columns -%}
        {{ key }} as key_{{ loop.index }},
        {% endfor -%}
        {{ column_name }} as whole_value
    from {{ model }}
    where {{ where or 'true' }}

),

parts as (

    select
        {% for key in parts_key_columns -%}
        {{ key }} as key_{{ loop.index }},
        {% endfor -%}
        sum({{ parts_expression }}) as parts_value
    from {{ parts_model }}
    where {{ parts_where or 'true' }}
    group by
        {% for key in parts_key_columns -%}
        {{ key }}{{ ',' if not loop.last }}
        {% endfor %}

)

select
    {% for key in key_columns -%}
    coalesce(whole.key_{{ loop.index }}, parts.key_{{ loop.index }}) as {{ key }},
    {% endfor -%}
    whole.whole_value,
    parts.parts_value
from whole
full outer join parts
    on
        {% for key in key_columns -%}
        whole.key_{{ loop.index }} = parts.key_{{ loop.index }}
        {%- if not loop.last %} and {% endif %}
        {% endfor %}
where whole.whole_value is distinct from parts.parts_value

{% endtest %}
