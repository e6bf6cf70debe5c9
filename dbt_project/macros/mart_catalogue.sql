{#
    What a BI tool reads from PostgreSQL's own catalogue about the marts (the hooks of every
    mart, set in dbt_project.yml):

    comment_on_mart()       post-hook: COMMENT ON the table and every column, in Russian and
                            English, from the model's yml: "label_ru / label_en", then the
                            description (and meta.description_ru when a model gives one).
                            Comments belong to the table, so they travel with it when the
                            transform swaps marts_build in for marts (or moves tables).
    name_constraints()      post-hook: stable constraint names (`dim_indicator_pkey`,
                            `fct_indicator_values_state_code_fkey`, ...), never `__dbt_tmp`.
    free_constraint_names() pre-hook: a rebuild in place makes the new table beside the old one,
                            whose key indexes hold those names (index names are unique per
                            schema): the old table's key and unique constraints are renamed
                            out of the way first (dbt drops that table afterwards). No
                            statement when there is no old table (a build aside).
#}

{% macro mart_comment_text(meta, description) -%}
    {%- set parts = [] -%}
    {%- if meta.get('label_ru') and meta.get('label_en') -%}
        {%- do parts.append(meta['label_ru'] ~ ' / ' ~ meta['label_en']) -%}
    {%- endif -%}
    {%- if meta.get('description_ru') -%}
        {%- do parts.append(meta['description_ru'] | trim) -%}
    {%- endif -%}
    {%- if description -%}
        {%- do parts.append(description | trim) -%}
    {%- endif -%}
    {{ return(parts | join('\n') | replace("'", "''")) }}
{%- endmacro %}

{% macro _meta_of(node) -%}
    {%- set meta = {} -%}
    {%- do meta.update(node.get('meta') or {}) -%}
    {%- do meta.update((node.get('config') or {}).get('meta') or {}) -%}
    {{ return(meta) }}
{%- endmacro %}

{% macro comment_on_mart() -%}
    {%- if execute -%}
        comment on table {{ this }} is '{{ mart_comment_text(_meta_of(model), model.description) }}';
        {%- for name, column in model.columns.items() %}
        comment on column {{ this }}.{{ adapter.quote(name) }}
            is '{{ mart_comment_text(_meta_of(column), column.get("description")) }}';
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro free_constraint_names() -%}
    {#- nothing to free when the table is new (every mart of a build aside): no statement -#}
    {%- if execute and load_cached_relation(this) is not none -%}
    do $free_constraint_names$
    declare
        old_constraint record;
    begin
        for old_constraint in
            select con.conname from pg_catalog.pg_constraint as con
            where con.conrelid = to_regclass(format('%I.%I', '{{ this.schema }}', '{{ this.identifier }}'))
                and con.contype in ('p', 'u')
                and con.conname not like '%\_\_old'
        loop
            execute format(
                'alter table %I.%I rename constraint %I to %I',
                '{{ this.schema }}', '{{ this.identifier }}',
                old_constraint.conname, left(old_constraint.conname, 58) || '__old'
            );
        end loop;
    end
    $free_constraint_names$
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: every constraint of the table gets its name from the table, its columns and
    its kind, as PostgreSQL would name them for a table built under its own name:
    <table>_pkey, <table>_<columns>_fkey / _key / _not_null / _check (dbt builds the table
    as <table>__dbt_tmp first, and PostgreSQL's names would keep that). A check constraint
    the contract names (`name:`, never with `__`) keeps its name. -#}
{% macro name_constraints() -%}
    do $name_constraints$
    declare
        con record;
        stable text;
        relation regclass := to_regclass(format('%I.%I', '{{ this.schema }}', '{{ this.identifier }}'));
    begin
        for con in
            select
                constraints.conname,
                constraints.contype,
                (
                    select string_agg(attributes.attname, '_' order by keys.position)
                    from unnest(constraints.conkey) with ordinality as keys (attnum, position)
                    inner join pg_catalog.pg_attribute as attributes
                        on attributes.attrelid = constraints.conrelid and attributes.attnum = keys.attnum
                ) as columns
            from pg_catalog.pg_constraint as constraints
            where constraints.conrelid = relation
                -- a check the contract names keeps that name (its name never holds `__`)
                and not (constraints.contype = 'c' and constraints.conname not like '%\_\_%')
        loop
            stable := left('{{ this.identifier }}' || case con.contype
                when 'p' then '_pkey'
                when 'f' then '_' || con.columns || '_fkey'
                when 'u' then '_' || con.columns || '_key'
                when 'n' then '_' || con.columns || '_not_null'
                when 'c' then '_' || coalesce(con.columns, 'row') || '_check'
                else '_' || con.contype::text
            end, 63);
            if stable <> con.conname and not exists (
                select from pg_catalog.pg_constraint where conrelid = relation and conname = stable
            ) then
                execute format(
                    'alter table %I.%I rename constraint %I to %I',
                    '{{ this.schema }}', '{{ this.identifier }}', con.conname, stable
                );
            end if;
        end loop;
    end
    $name_constraints$
{%- endmacro %}
