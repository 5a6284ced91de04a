{#-
    Clean: the staged rows with the spec's validity rules applied and missing values imputed.
    A value outside its column's [min, max] counts as missing when the column may be imputed;
    a row whose required value breaks its rule is rejected. Missing values are then filled with
    the median (numbers) or the mode (other columns) of their imputation group, falling back to
    the whole table, and each imputed column gets a <column>_was_missing flag. A daily dataset
    is cleaned one day at a time: only the run's days, and imputation looks within the day, so a
    day's rows never depend on which other days ran with it.
-#}
{% macro accrete_clean(staged_relation) -%}
{%- if execute -%}
{%- set columns = accrete_spec_columns() -%}
{%- set dataset = accrete_dataset() -%}
{%- set imputed = dataset.imputation.columns -%}
{%- set group_by = dataset.imputation.group_by -%}
{#- the imputed columns that are not numbers take their mode -#}
{%- set mode_imputed = columns | selectattr('name', 'in', imputed) | rejectattr('meta.type', 'equalto', 'numerical') | list -%}
{#- a daily dataset is imputed within each day (batch) -#}
{%- set scope = ['_batch'] if dataset.daily else [] -%}
{%- set required_rules = [accrete_partition_filter()] if dataset.daily else [] -%}
{%- for column in columns if column.name not in imputed and accrete_range_rule(column) -%}
    {%- do required_rules.append('(' ~ accrete_range_rule(column) ~ ')') -%}
{%- endfor -%}
with staged as (

    select * from {{ staged_relation }}

),

validated as (
    -- validity rules: an imputable value outside its allowed range counts as missing;
    -- a row whose required value breaks its rule is rejected
    select
{%- for name in accrete_provenance_columns() %}
        {{ name }},
{%- endfor %}
{%- for column in columns %}
{%- if column.name in imputed and accrete_range_rule(column) %}
        case when {{ accrete_range_rule(column) }} then {{ column.name }} end as {{ column.name }},
{%- else %}
        {{ column.name }},
{%- endif %}
{%- endfor %}
        _is_holdout
    from staged
{%- for rule in required_rules %}
    {{ 'where' if loop.first else '    and' }} {{ rule }}
{%- endfor %}

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
        validated.{{ name }} is null as {{ name }}_was_missing,
{%- endfor %}
        validated._is_holdout
    from validated
{%- for column in mode_imputed %}
{%- if group_by %}
    left join {{ column.name }}_group_mode using ({{ (scope + group_by) | join(', ') }})
{%- endif %}
{%- if scope %}
    left join {{ column.name }}_overall_mode using ({{ scope | join(', ') }})
{%- else %}
    cross join {{ column.name }}_overall_mode
{%- endif %}
{%- endfor %}

)

select * from imputed
{%- endif -%}
{%- endmacro %}


{#- A column's validity rule from the spec's min and max ('' when it has neither). -#}
{% macro accrete_range_rule(column) -%}
{%- set bounds = [] -%}
{%- if column.meta.get('min') is not none -%}
    {%- do bounds.append(column.name ~ ' >= ' ~ column.meta.min) -%}
{%- endif -%}
{%- if column.meta.get('max') is not none -%}
    {%- do bounds.append(column.name ~ ' <= ' ~ column.meta.max) -%}
{%- endif -%}
{{ bounds | join(' and ') }}
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
{%- set key_list = keys | join(', ') -%}
{{ cte }} as (
    select {{ key_list }}, {{ column_name }} as {{ column_name }}_mode
    from (
        select {{ key_list }}, {{ column_name }},
            row_number() over (partition by {{ key_list }} order by count(*) desc, {{ column_name }}) as rank
        from validated
        where {{ column_name }} is not null
        group by {{ key_list }}, {{ column_name }}
    )
    where rank = 1

),
{%- endmacro %}


{#- The most frequent value of `column_name` over the whole table (ties to the smallest value). -#}
{% macro accrete_overall_mode(column_name) -%}
{{ column_name }}_overall_mode as (
    select {{ column_name }} as {{ column_name }}_mode
    from validated
    where {{ column_name }} is not null
    group by {{ column_name }}
    order by count(*) desc, {{ column_name }}
    limit 1

),
{%- endmacro %}


{#-
    One column of the imputed rows, as a select item: the validated value, or when it is missing
    and the column may be imputed, its group's median or mode, else the overall one (within the
    day for a daily dataset). An integer median is rounded to stay an integer.
-#}
{% macro accrete_imputed_column(column, imputed, group_by, scope) -%}
{%- set name = column.name -%}
{%- if name not in imputed -%}
    validated.{{ name }}
{%- elif column.meta.type == 'numerical' -%}
    {%- set median -%}
        coalesce(validated.{{ name }},
        {%- if group_by %} median(validated.{{ name }}) over ({{ accrete_window(scope + group_by) }}),{% endif %} median(validated.{{ name }}) over ({{ accrete_window(scope) }}))
    {%- endset -%}
    {{ 'cast(round(' ~ median ~ ') as bigint)' if column.meta.get('integer') else median }} as {{ name }}
{%- else -%}
    coalesce(validated.{{ name }},
    {%- if group_by %} {{ name }}_group_mode.{{ name }}_mode,{% endif %} {{ name }}_overall_mode.{{ name }}_mode) as {{ name }}
{%- endif -%}
{%- endmacro %}


{#- A window over each combination of `keys` (the whole table when there are none). -#}
{% macro accrete_window(keys) -%}
    {{ 'partition by ' ~ keys | join(', ') if keys }}
{%- endmacro %}
