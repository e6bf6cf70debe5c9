{#
    ref(), as dbt's, except in a build of only some marts (programme_monitoring.warehouse.transform
    selects the models downstream of what changed): the selected marts are built aside in
    var('marts_schema') (`marts_build`) and published by renaming them into the live marts;
    a mart that is not rebuilt this time is not in `marts_build`, so a rebuilt one that reads
    it reads the published one, var('published_marts_schema') (`marts`). In a full build
    every mart is selected and this changes nothing.
#}
{% macro ref() -%}
    {%- if builtins is not defined -%}
        {#- sqlfluff's jinja templater (the lint) knows no dbt: the model's name will do. -#}
        {{ varargs[-1] }}
    {%- else -%}
        {%- if (varargs | length) == 1 -%}
            {%- set relation = builtins.ref(varargs[0], **kwargs) -%}
        {%- else -%}
            {%- set relation = builtins.ref(varargs[0], varargs[1], **kwargs) -%}
        {%- endif -%}
        {%- set published = var('published_marts_schema', none) -%}
        {%- set package = varargs[0] if (varargs | length) > 1 else project_name -%}
        {%- set node_id = 'model.' ~ package ~ '.' ~ varargs[-1] -%}
        {%- if execute and published and relation is not none and relation.schema == var('marts_schema', none)
              and selected_resources and node_id not in selected_resources -%}
            {{ return(relation.incorporate(path={'schema': published})) }}
        {%- endif -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
