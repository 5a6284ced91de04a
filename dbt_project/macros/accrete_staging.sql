{#-
    Staging: a landing table as delivered (every value text, as read from the file) made typed and
    usable. Values are trimmed and the spec's missing-value tokens become NULL, each column gets its
    declared type, identifier columns are left behind (an identifier in the record key is kept as
    the sha256 of its value, only to find re-delivered records), a record delivered again keeps only
    its latest delivery, and every row is given its fixed side of the holdout split. Column names
    are always quoted (accrete_identifier): a column may be called `order` or `end`.
-#}
{% macro accrete_staging(source_relation) -%}
{%- if execute -%}
{%- set columns = accrete_spec_columns() -%}
{%- set dataset = accrete_dataset() -%}
{%- set hashed_key = dataset.get('hashed_record_key', []) -%}
with source as (

    select * from {{ source_relation }}

),

trimmed as (
    -- every value trimmed (accrete_casting.sql); the spec's missing-value tokens become NULL; identifier columns are not carried over
    select
{%- for name in accrete_provenance_columns() %}
        {{ name }},
{%- endfor %}
{#- an identifier in the record key: only the hash of its value, to find re-delivered records #}
{%- for name in hashed_key %}
        sha256({{ accrete_present(accrete_identifier(name), dataset.missing_tokens) }}) as {{ accrete_identifier(name) }},
{%- endfor %}
{%- for column in columns %}
        {{ accrete_present(accrete_identifier(column.name), dataset.missing_tokens) }} as {{ accrete_identifier(column.name) }}{{ ',' if not loop.last }}
{%- endfor %}
    from source

),

typed as (
    -- declared types, by the rule the landing check applies (accrete_casting.sql); category aliases mapped
    select
{%- for name in accrete_provenance_columns() + hashed_key %}
        {{ accrete_identifier(name) }},
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
        partition by {{ accrete_identifiers(dataset.record_key) }}
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


{#- One column of the typed rows, as a select item: its text read as the spec's type; a value that cannot be read fails the build. -#}
{% macro accrete_typed_column(column) -%}
    {{ accrete_cast_or_fail(accrete_identifier(column.name), column.meta, column.name) }} as {{ accrete_identifier(column.name) }}
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
        coalesce(cast({{ accrete_identifier(key) }} as varchar), ''){{ " || '|' || " if not loop.last }}
    {%- else -%}
        _row_id
    {%- endfor -%}
    ) % {{ buckets }} < {{ (holdout_fraction * buckets) | round | int }}
{%- endmacro %}
