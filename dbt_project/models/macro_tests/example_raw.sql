{#- The landing table of the example dataset. Never built (ephemeral): its unit tests give the rows. -#}
select null::varchar as _row_id
