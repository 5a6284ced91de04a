{#- Rows of the model that break one business rule of the dataset's spec.
    The query comes from accrete.rules.violations.clean_table_test_sql, the one place that says
    what each kind of rule means; __model__ stands for the tested model and __reference__ for the
    rule's reference table (a dbt source read from its file), both replaced here. -#}
{% test accrete_rule(model, rule, violations, reference=none) %}

{{ violations | replace('__model__', model) | replace('__reference__', reference if reference is not none else '') }}

{% endtest %}
