{#- Combinations of the given columns that occur more than once (a record key must be unique). -#}
{% test accrete_unique_combination(model, columns) %}

select {{ accrete_identifiers(columns) }}, count(*) as occurrences
from {{ model }}
group by {{ accrete_identifiers(columns) }}
having count(*) > 1

{% endtest %}
