{#-
    Whether an incremental model must load every batch again: its table exists and its columns
    (names and types) are no longer those `query` returns. That happens after a spec change, when
    ingestion has migrated the raw table (a column added, dropped, renamed or retyped:
    accrete.ingest.raw_migration). Loading only the run's batches would leave the earlier ones
    under the old columns, with a renamed or added column's values missing; so the model takes
    every batch of its input, dbt first aligns the table's columns with the new ones
    (on_schema_change: sync_all_columns), and delete+insert on _batch replaces every batch.
    No row is lost: every batch the table holds is still in raw.
-#}
{% macro accrete_columns_changed(query) -%}
    {#- a dbt unit test runs the model without a table of its own (`this` is none) -#}
    {%- if this is none or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(accrete_described_columns(this) != accrete_described_columns(query)) }}
{%- endmacro %}


{#- The columns of a relation or query as sorted `name type` strings (an added column comes last in a table). -#}
{% macro accrete_described_columns(relation_or_query) -%}
    {%- set columns = [] -%}
    {%- for row in run_query('describe ' ~ relation_or_query).rows -%}
        {%- do columns.append(row['column_name'] ~ ' ' ~ row['column_type']) -%}
    {%- endfor -%}
    {{ return(columns | sort) }}
{%- endmacro %}
