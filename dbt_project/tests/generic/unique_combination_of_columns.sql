{#
    The combination of the given columns is unique (dbt_utils is not available offline).
    arguments: combination_of_columns: [col_a, col_b, ...]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns_csv = combination_of_columns | join(', ') %}

select
    {{ columns_csv }},
    count(*) as n_rows
from {{ model }}
group by {{ columns_csv }}
having count(*) > 1

{% endtest %}
