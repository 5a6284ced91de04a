{#-
    What the Accrete macros know about a dataset comes from the properties of the model they
    build, written from the dataset's spec by accrete.transform.dbt_models:
      - the model's config meta: dataset facts (missing-value tokens, record key and which of its
        columns are identifiers, holdout fraction, imputation, whether the dataset arrives by day);
      - the meta of each column the spec describes: its spec type and options (integer, min, max,
        datetime_format, aliases, true_values / false_values).
    Identifier columns are never described, so no macro selects them, except staging, which hashes
    those in the record key (hashed_record_key) to find re-delivered records.
-#}

{#-
    The model being built, with its config and columns. A dbt unit test runs a model without its
    properties (there `model` is the test itself), so a unit test gives them by overriding this macro.
-#}
{% macro accrete_properties() -%}
    {{ return(model) }}
{%- endmacro %}


{#- The columns the dataset's spec describes, in the spec's order (provenance and flag columns carry no type). -#}
{% macro accrete_spec_columns() -%}
    {{ return(accrete_properties().columns.values() | selectattr('meta.type', 'defined') | list) }}
{%- endmacro %}


{#- The dataset facts in the model's config meta. -#}
{% macro accrete_dataset() -%}
    {{ return(accrete_properties().config.meta) }}
{%- endmacro %}


{#- The columns ingestion adds to every raw row (accrete.ingest.raw.RAW_LINEAGE_COLUMNS): where it came from. -#}
{% macro accrete_provenance_columns() -%}
    {{ return(['_row_id', '_batch', '_line', '_file_sha256', '_ingested_at', '_run_id']) }}
{%- endmacro %}


{#- A column name as a quoted SQL identifier: a column may be called `order`, `end` or `_private`. -#}
{% macro accrete_identifier(name) -%}
    {{ adapter.quote(name) }}
{%- endmacro %}


{#- Column names as quoted SQL identifiers separated by commas, for a `partition by`, `group by` or `using` list. -#}
{% macro accrete_identifiers(names) -%}
    {%- for name in names %}{{ adapter.quote(name) }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}


{#- A SQL string literal. -#}
{% macro accrete_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- SQL string literals separated by commas, for an `in (...)` list. -#}
{% macro accrete_literals(values) -%}
    {%- for value in values %}{{ accrete_literal(value) }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}


{#-
    The days a run of a daily dataset loads (a day is a batch): Dagster sets them in the
    environment, and a run by hand loads every day. Environment variables rather than dbt vars,
    so that dbt's partial parsing survives a new day; the names are
    accrete.transform.dbt_models.PARTITION_START / PARTITION_END.
-#}
{% macro accrete_partition_filter() -%}
    _batch between '{{ env_var("ACCRETE_PARTITION_START", "0000-00-00") }}' and '{{ env_var("ACCRETE_PARTITION_END", "9999-99-99") }}'
{%- endmacro %}
