{#
    Every combination of columns in the model exists in the parent model (a composite
    foreign key; dbt's built-in relationships test takes one column).
    arguments: columns: [state_code, programme_code], to: ref('parent'), parent_columns: [...]
    parent_columns defaults to columns.
#}
{% test relationships_composite(model, columns, to, parent_columns=none) %}

{%- set parent_columns = parent_columns or columns %}

select child.*
from {{ model }} as child
where not exists (
    select 1
    from {{ to }} as parent
    where
        {% for child_column in columns -%}
        parent.{{ parent_columns[loop.index0] }} = child.{{ child_column }}
        {%- if not loop.last %} and {% endif %}
        {% endfor %}
)

{% endtest %}
