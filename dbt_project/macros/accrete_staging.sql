{#-
    Staging: a landing table as delivered (every value text, as read from the file) made typed and
    usable. Values are trimmed and the spec's missing-value tokens become NULL, each column gets its
    declared type, identifier columns are left behind, a record delivered again keeps only its
    latest delivery, and every row is given its fixed side of the holdout split.
-#}
{% macro accrete_staging(source_relation) -%}
{%- if execute -%}
{%- set columns = accrete_spec_columns() -%}
{%- set dataset = accrete_dataset() -%}
{%- set missing_tokens = accrete_literals(dataset.missing_tokens) -%}
with source as (

    select * from {{ source_relation }}

),

trimmed as (
    -- every value trimmed; the spec's missing-value tokens become NULL; identifier columns are not carried over
    select
{%- for name in accrete_provenance_columns() %}
        {{ name }},
{%- endfor %}
{%- for column in columns %}
        case when trim({{ column.name }}) in ({{ missing_tokens }}) then null else trim({{ column.name }}) end as {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}
    from source

),

typed as (
    -- declared types; category aliases mapped to their canonical value
    select
{%- for name in accrete_provenance_columns() %}
        {{ name }},
{%- endfor %}
{%- for column in columns %}
        {{ accrete_typed_column(column) }}{{ ',' if not loop.last }}
{%- endfor %}
    from trimmed

),
{%- if dataset.record_key %}

deduplicated as (
    -- a record delivered again (same record key) keeps its latest delivery only
    select * from typed
    qualify row_number() over (
        partition by {{ dataset.record_key | join(', ') }}
        order by _ingested_at desc, _batch desc, _line desc
    ) = 1

),
{%- endif %}

final as (
    -- a fixed pseudo-random holdout: a row's side depends only on its key, never on what else has arrived
    select
        *,
        {{ accrete_holdout_flag(dataset.record_key, dataset.holdout_fraction) }} as _is_holdout
    from {{ 'deduplicated' if dataset.record_key else 'typed' }}

)

select * from final
{%- endif -%}
{%- endmacro %}


{#- One column of the typed rows, as a select item: its text read as the spec's type. -#}
{% macro accrete_typed_column(column) -%}
{%- set name = column.name -%}
{%- set spec = column.meta -%}
{%- if spec.type == 'numerical' and spec.get('integer') -%}
    {#- read through double: a landing file may write an integer as 3.0 or 1e3 -#}
    cast(cast({{ name }} as double) as bigint) as {{ name }}
{%- elif spec.type == 'numerical' -%}
    cast({{ name }} as double) as {{ name }}
{%- elif spec.type == 'datetime' and spec.get('datetime_format') -%}
    strptime({{ name }}, {{ accrete_literal(spec.datetime_format) }}) as {{ name }}
{%- elif spec.type == 'datetime' -%}
    cast({{ name }} as timestamp) as {{ name }}
{%- elif spec.type == 'boolean' -%}
    case when lower({{ name }}) in ({{ accrete_literals(spec.true_values) }}) then true when lower({{ name }}) in ({{ accrete_literals(spec.false_values) }}) then false end as {{ name }}
{%- elif spec.get('aliases') -%}
    case {{ name }}
    {%- for alias, canonical in spec.aliases.items() %} when {{ accrete_literal(alias) }} then {{ accrete_literal(canonical) }}{% endfor %} else {{ name }} end as {{ name }}
{%- else -%}
    {{ name }}
{%- endif -%}
{%- endmacro %}


{#-
    Whether a row belongs to the holdout: the md5 of its record key (of its landing batch and line
    when the dataset has none) falls into one of 10,000 buckets, and the first
    holdout_fraction × 10,000 buckets are the holdout. The side never changes as data grows.
-#}
{% macro accrete_holdout_flag(record_key, holdout_fraction) -%}
{%- set buckets = 10000 -%}
    md5_number(
    {%- for key in record_key -%}
        coalesce(cast({{ key }} as varchar), ''){{ " || '|' || " if not loop.last }}
    {%- else -%}
        _row_id
    {%- endfor -%}
    ) % {{ buckets }} < {{ (holdout_fraction * buckets) | round | int }}
{%- endmacro %}
