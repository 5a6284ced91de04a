{#-
    One side of the fixed real split: `train`, the rows a generator may learn from, or `holdout`,
    the rows no generator ever sees (each row's side is drawn once, in staging).
-#}
{% macro accrete_split(accumulated_relation, side) -%}
{%- if side not in ('train', 'holdout') -%}
    {{ exceptions.raise_compiler_error("accrete_split: side must be 'train' or 'holdout', got '" ~ side ~ "'") }}
{%- endif -%}
select * from {{ accumulated_relation }}
where {{ 'not ' if side == 'train' }}_is_holdout
{%- endmacro %}
