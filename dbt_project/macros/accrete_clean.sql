{#-
    Clean: the staged rows with their missing values imputed; every staged row is kept (a value
    outside its column's [min, max] never reaches staging: the landing check refuses or
    quarantines its row, and the test accrete_keeps_every_row checks that no row is lost here).
    Missing values are filled with the median (numbers) or the mode (other columns) of their
    imputation group, falling back to the whole table, and each imputed column gets a
    <column>_was_missing flag. A daily dataset is cleaned one day at a time: only the run's days
    (every day, once, after a spec change migrated the raw table: accrete_columns_changed), and
    imputation looks within the day, so a day's rows never depend on which other days ran
    with it. Column names, and the CTE names made from them, are always quoted (accrete_identifier).
-#}
{% macro accrete_clean(staged_relation, every_day=false) -%}
{%- if execute -%}
{%- set columns = accrete_spec_columns() -%}
{%- set dataset = accrete_dataset() -%}
{#- a daily table whose columns changed (a migrated raw table) cleans every day again, under the new columns -#}
{%- set every_day = every_day or (dataset.daily and accrete_columns_changed(accrete_clean(staged_relation, every_day=true))) -%}
{%- set imputed = dataset.imputation.columns -%}
{%- set group_by = dataset.imputation.group_by -%}
{#- the imputed columns that are not numbers take their mode -#}
{%- set mode_imputed = columns | selectattr('name', 'in', imputed) | rejectattr('meta.type', 'equalto', 'numerical') | list -%}
{#- a daily dataset is imputed within each day (batch) -#}
{%- set scope = ['_batch'] if dataset.daily else [] -%}
with staged as (

    select * from {{ staged_relation }}

),

validated as (
    -- the rows to clean: every staged row (of the run's days, for a daily dataset)
    select
{%- for name in accrete_provenance_columns() %}
        {{ name }},
{%- endfor %}
{%- for column in columns %}
        {{ accrete_identifier(column.name) }},
{%- endfor %}
        _is_holdout
    from staged
{%- if dataset.daily and not every_day %}
    where {{ accrete_partition_filter() }}
{%- endif %}

),
{%- for column in mode_imputed %}

{{ accrete_mode_ctes(column.name, group_by, scope) }}
{%- endfor %}

imputed as (
    -- missing values filled with their group's median (numbers) or mode (categories), flagged
    select
{%- for name in accrete_provenance_columns() %}
        validated.{{ name }},
{%- endfor %}
{%- for column in columns %}
        {{ accrete_imputed_column(column, imputed, group_by, scope) }},
{%- endfor %}
{%- for name in imputed %}
        validated.{{ accrete_identifier(name) }} is null as {{ accrete_identifier(name ~ '_was_missing') }},
{%- endfor %}
        validated._is_holdout
    from validated
{%- for column in mode_imputed %}
{%- if group_by %}
    left join {{ accrete_identifier(column.name ~ '_group_mode') }} using ({{ accrete_identifiers(scope + group_by) }})
{%- endif %}
{%- if scope %}
    left join {{ accrete_identifier(column.name ~ '_overall_mode') }} using ({{ accrete_identifiers(scope) }})
{%- else %}
    cross join {{ accrete_identifier(column.name ~ '_overall_mode') }}
{%- endif %}
{%- endfor %}

)

select * from imputed
{%- endif -%}
{%- endmacro %}


{#-
    The CTEs holding the mode of a column imputed by its mode: per imputation group (when there
    are groups) and overall, both within the day for a daily dataset (`scope`).
-#}
{% macro accrete_mode_ctes(column_name, group_by, scope) -%}
{%- if group_by -%}
{{ accrete_mode_per(column_name ~ '_group_mode', column_name, scope + group_by) }}

{% endif -%}
{%- if scope -%}
{{ accrete_mode_per(column_name ~ '_overall_mode', column_name, scope) }}
{%- else -%}
{{ accrete_overall_mode(column_name) }}
{%- endif -%}
{%- endmacro %}


{#-
    The most frequent value of `column_name` within each combination of `keys`, as the CTE `cte`;
    ties go to the smallest value, so imputation is deterministic.
-#}
{% macro accrete_mode_per(cte, column_name, keys) -%}
{%- set key_list = accrete_identifiers(keys) -%}
{%- set column = accrete_identifier(column_name) -%}
{{ accrete_identifier(cte) }} as (
    select {{ key_list }}, {{ column }} as {{ accrete_identifier(column_name ~ '_mode') }}
    from (
        select {{ key_list }}, {{ column }},
            row_number() over (partition by {{ key_list }} order by count(*) desc, {{ column }}) as rank
        from validated
        where {{ column }} is not null
        group by {{ key_list }}, {{ column }}
    )
    where rank = 1

),
{%- endmacro %}


{#- The most frequent value of `column_name` over the whole table (ties to the smallest value). -#}
{% macro accrete_overall_mode(column_name) -%}
{%- set column = accrete_identifier(column_name) -%}
{{ accrete_identifier(column_name ~ '_overall_mode') }} as (
    select {{ column }} as {{ accrete_identifier(column_name ~ '_mode') }}
    from validated
    where {{ column }} is not null
    group by {{ column }}
    order by count(*) desc, {{ column }}
    limit 1

),
{%- endmacro %}


{#-
    One column of the imputed rows, as a select item: the validated value, or when it is missing
    and the column may be imputed, its group's median or mode, else the overall one (within the
    day for a daily dataset). An integer median is rounded to stay an integer.
-#}
{% macro accrete_imputed_column(column, imputed, group_by, scope) -%}
{%- set name = accrete_identifier(column.name) -%}
{%- set mode = accrete_identifier(column.name ~ '_mode') -%}
{%- if column.name not in imputed -%}
    validated.{{ name }}
{%- elif column.meta.type == 'numerical' -%}
    {%- set median -%}
        coalesce(validated.{{ name }},
        {%- if group_by %} median(validated.{{ name }}) over ({{ accrete_window(scope + group_by) }}),{% endif %} median(validated.{{ name }}) over ({{ accrete_window(scope) }}))
    {%- endset -%}
    {{ 'cast(round(' ~ median ~ ') as bigint)' if column.meta.get('integer') else median }} as {{ name }}
{%- else -%}
    coalesce(validated.{{ name }},
    {%- if group_by %} {{ accrete_identifier(column.name ~ '_group_mode') }}.{{ mode }},{% endif %} {{ accrete_identifier(column.name ~ '_overall_mode') }}.{{ mode }}) as {{ name }}
{%- endif -%}
{%- endmacro %}


{#- A window over each combination of `keys` (the whole table when there are none). -#}
{% macro accrete_window(keys) -%}
    {{ 'partition by ' ~ accrete_identifiers(keys) if keys }}
{%- endmacro %}
