{#- Rows whose value lies outside [min_value, max_value]; either bound may be null (open). dbt gives
    `column_name` quoted: the generated properties mark every column `quote: true`. -#}
{% test accrete_in_range(model, column_name, min_value=none, max_value=none) %}

select {{ column_name }}
from {{ model }}
where false
    {%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
    {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}

{% endtest %}
