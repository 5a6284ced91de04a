{#- Combinations of the given columns that occur more than once (a record key must be unique). -#}
{% test accrete_unique_combination(model, columns) %}

select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
