{#
    Memory for the sorts and hash tables of one model's own transaction (SET LOCAL: it ends
    with the model's COMMIT or ROLLBACK; no other model, session or server setting changes).
    Used as a pre-hook (run inside the model's transaction) by the models that group
    millions of rows: at PostgreSQL's default work_mem of 4MB their de-duplications and
    groupings spill to temporary files and sort on disk (bench/README.md, "dbt build").
    The value is a literal of the model's own config, never user input.
#}
{% macro set_local_work_mem(size) -%}
set local work_mem = '{{ size }}'
{%- endmacro %}
