{#
    dbt-postgres's create_table_as, except that a contracted table gets its keys after its
    rows. dbt declares every constraint in CREATE TABLE and then inserts, so PostgreSQL
    maintains a primary key index and fires the foreign-key triggers row by row: on the
    1M-row fct_indicator_values that cost 33-36 s against 7.5-7.9 s for the same insert
    followed by ADD PRIMARY KEY (one sort) and ADD FOREIGN KEY (one join each)
    (bench/bench_mart_keys.py). NOT NULL and CHECK stay in CREATE TABLE; primary, unique
    and foreign keys (column- or model-level) are added by ALTER TABLE in the same
    statement batch, so a violation still fails the model before anything is published,
    and PostgreSQL names them as it names inline ones (the mart_catalogue post-hook then
    gives them their stable names).

    A foreign key to a mart this build does not rebuild references the published one, as
    ref() reads it (macros/ref.sql): dbt names the build schema in every `to`, which would
    make a build after one report rebuild every dimension only to be referenced.
#}
{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set unlogged = config.get('unlogged', default=false) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {%- set contract_config = config.get('contract') -%}
    {%- set key_types = ['primary_key', 'unique', 'foreign_key'] -%}
    {{ sql_header if sql_header is not none }}
    create {% if temporary -%} temporary {%- elif unlogged -%} unlogged {%- endif %} table {{ relation }}
    {% if contract_config.enforced -%}
        {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}
    {% if contract_config.enforced and (not temporary) -%}
        {%- set columns = {} -%}
        {%- set keys = [] -%}
        {%- for name, column in model['columns'].items() -%}
            {%- set inline = [] -%}
            {%- for constraint in column.get('constraints') or [] -%}
                {%- if constraint['type'] in key_types -%}
                    {%- do keys.append({
                        'type': constraint['type'], 'columns': [column['name']], 'name': constraint.get('name'),
                        'expression': constraint.get('expression'), 'to': constraint.get('to'),
                        'to_columns': constraint.get('to_columns') or []}) -%}
                {%- else -%}
                    {%- do inline.append(constraint) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do columns.update({name: {
                'name': column['name'], 'data_type': column['data_type'], 'quote': column.get('quote'),
                'constraints': inline}}) -%}
        {%- endfor -%}
        {%- set table_constraints = [] -%}
        {%- for constraint in model['constraints'] -%}
            {%- do (keys if constraint['type'] in key_types else table_constraints).append(constraint.copy()) -%}
        {%- endfor -%}
        {%- for key in keys if key['type'] == 'foreign_key' and key['to'] -%}
            {%- do key.update({'to': published_if_not_rebuilt(key['to'])}) -%}
        {%- endfor -%}
        {%- set rendered = adapter.render_raw_columns_constraints(raw_columns=columns)
            + adapter.render_raw_model_constraints(raw_constraints=table_constraints) -%}
        ({{ rendered | join(',\n') }});
        insert into {{ relation }} ({{ adapter.dispatch('get_column_names', 'dbt')() }})
        ({{ get_select_subquery(sql) }});
        {%- for key in adapter.render_raw_model_constraints(raw_constraints=keys) %}
        alter table {{ relation }} add {{ key }};
        {%- endfor %}
    {%- else -%}
        as ({{ sql }});
    {%- endif %}
{%- endmacro %}

{#- `to` of a foreign key, rendered by dbt as "db"."<marts_schema>"."<mart>": the published
    mart instead when this build does not rebuild it. -#}
{% macro published_if_not_rebuilt(to) -%}
    {%- set build = '"' ~ var('marts_schema', '') ~ '"' -%}
    {%- set published = var('published_marts_schema', none) -%}
    {%- set node_id = 'model.' ~ project_name ~ '.' ~ (to.split('.')[-1] | replace('"', '')) -%}
    {%- if published and selected_resources and build in to and node_id not in selected_resources -%}
        {{ return(to | replace(build, '"' ~ published ~ '"')) }}
    {%- endif -%}
    {{ return(to) }}
{%- endmacro %}
