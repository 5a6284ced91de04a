{#-
    The accumulated real table: every real batch so far, never dropped (an incremental model
    replacing a batch's rows by delete+insert on _batch). A batch is (re)inserted only when it is
    new or was delivered again with different content; a daily dataset inserts the run's days,
    each replacing that day's rows. After a spec change migrated the raw table, every batch is
    loaded again under the new columns (accrete_columns_changed).
-#}
{% macro accrete_accumulated(clean_relation) -%}
{%- if execute -%}
select * from {{ clean_relation }}
{%- if accrete_columns_changed('select * from ' ~ clean_relation) %}
-- the columns changed (a migrated raw table): every batch again, under the new columns
{%- elif accrete_dataset().daily %}
where {{ accrete_partition_filter() }}
{%- elif is_incremental() %}
-- only batches not yet accumulated, or re-delivered with different content
where _batch || ':' || _file_sha256 not in (
    select distinct _batch || ':' || _file_sha256 from {{ this }}
)
{%- endif %}
{%- endif -%}
{%- endmacro %}
