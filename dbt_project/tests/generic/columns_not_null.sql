{#
    None of the given columns is NULL: one pass over the model instead of one not_null
    test (one query, one transaction) per column. Failing rows are returned whole.
    arguments: columns: [state_code, programme_code, ...]
#}
{% test columns_not_null(model, columns) %}

select *
from {{ model }}
where
    {% for column in columns -%}
    {{ column }} is null
    {%- if not loop.last %} or {% endif %}
    {% endfor %}

{% endtest %}
