{#
    Every row satisfies a boolean SQL expression; rows that do not are the failures.
    Model level:  arguments: {expression: "measures_implemented <= measures_due"}
    Column level: arguments: {expression: ">= 0"}  (checked as "<column> >= 0";
    NULL results count as passing, as in SQL check constraints)
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ column_name ~ ' ' if column_name else '' }}{{ expression }}), true)

{% endtest %}
