{#-
    Staged rows missing from the model: cleaning drops no row (a row the spec's rules refuse is
    refused or quarantined at landing, before raw). For a daily dataset, only the run's days.
-#}
{% test accrete_keeps_every_row(model, staged, daily=false) %}

with staged_rows as (
    select _row_id from {{ staged }}
{%- if daily %}
    where {{ accrete_partition_filter() }}
{%- endif %}
)

select staged_rows._row_id
from staged_rows
anti join {{ model }} as kept on kept._row_id = staged_rows._row_id

{% endtest %}
