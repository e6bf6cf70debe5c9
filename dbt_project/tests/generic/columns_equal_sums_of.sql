{#
    Totals equal the sums of their parts in another model (blocking checks on the marts),
    several columns in one query: for every key and each listed column,
    model.column = sum(parts expression) over the parts_model rows with the same key that the
    column's filter keeps. NULL on both sides (nothing reported) passes; NULL against a number
    fails. Keys missing on one side count as NULL there. A failing row names the column.
    One test and one scan of parts_model for all the columns of a model: a test per column
    cost dbt a node each (about 0.1 s of a small build) and PostgreSQL a scan each.
    arguments:
      key_columns:       [reporting_year]                 keys of the model
      parts_model:       ref('int_indicator_values_accepted')
      columns:           [{column: crimes_identified, parts_where: "indicator_code = 'THB01'"}, ...]
                         each may set its own parts_expression and parts_where
      parts_expression:  value                            summed per key, unless a column sets its own
      parts_key_columns: [reporting_year]                 defaults to key_columns
      where:             optional filter on the model's rows
#}
{% test columns_equal_sums_of(
    model, key_columns, parts_model, columns,
    parts_expression=none, parts_key_columns=none, where=none
) %}

{%- set parts_key_columns = parts_key_columns or key_columns %}

with

whole as (

    select
        {% for key in key_columns -%}
        {{ key }} as key_{{ loop.index }},
        {% endfor -%}
        {% for total in columns -%}
        {{ total.column }}::numeric as whole_{{ loop.index }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ model }}
    where {{ where or 'true' }}

),

parts as (

    select
        {% for key in parts_key_columns -%}
        {{ key }} as key_{{ loop.index }},
        {% endfor -%}
        {% for total in columns -%}
        sum({{ total.parts_expression or parts_expression }})
            filter (where {{ total.parts_where or 'true' }})::numeric as parts_{{ loop.index }}
        {{- ',' if not loop.last }}
        {% endfor %}
    from {{ parts_model }}
    where
        {% for total in columns -%}
        ({{ total.parts_where or 'true' }}){{ ' or' if not loop.last }}
        {% endfor %}
    group by
        {% for key in parts_key_columns -%}
        {{ key }}{{ ',' if not loop.last }}
        {% endfor %}

)

select
    {% for key in key_columns -%}
    coalesce(whole.key_{{ loop.index }}, parts.key_{{ loop.index }}) as {{ key }},
    {% endfor -%}
    total.column_name,
    total.whole_value,
    total.parts_value
from whole
full outer join parts
    on
        {% for key in key_columns -%}
        whole.key_{{ loop.index }} = parts.key_{{ loop.index }}
        {%- if not loop.last %} and {% endif %}
        {% endfor %}
cross join lateral (
    values
        {% for total in columns -%}
        ('{{ total.column }}', whole.whole_{{ loop.index }}, parts.parts_{{ loop.index }})
        {{- ',' if not loop.last }}
        {% endfor %}
) as total (column_name, whole_value, parts_value)
where total.whole_value is distinct from total.parts_value

{% endtest %}
