{#-
    How a delivered text value becomes a typed value: the one casting rule of Accrete. Staging
    applies it to the raw table; the landing check (accrete.value_casts, which renders these same
    macros) applies it to a file's values before any row is written, so a file that passes landing
    never fails in staging. These macros use nothing but their arguments and accrete_literal(s).
-#}

{#-
    Whitespace as Unicode defines it (Python's str.isspace: tab, line breaks, the no-break and
    other space separators, the ideographic space, ...) and the byte-order mark, as an RE2
    character class.
-#}
{% macro accrete_blank_class() -%}
    [\pZ\t\n\x0b\x0c\r\x1c-\x1f\x{85}\x{feff}]
{%- endmacro %}


{#- `text` without the blank characters at either end (DuckDB's trim removes only spaces). -#}
{% macro accrete_trimmed(text) -%}
    regexp_replace({{ text }}, '^{{ accrete_blank_class() }}+|{{ accrete_blank_class() }}+$', '', 'g')
{%- endmacro %}


{#- A value as staging reads it: trimmed, and NULL when it is one of the dataset's missing-value tokens. -#}
{% macro accrete_present(text, missing_tokens) -%}
{%- set trimmed = accrete_trimmed(text) -%}
{%- if missing_tokens -%}
    case when {{ trimmed }} in ({{ accrete_literals(missing_tokens) }}) then null else {{ trimmed }} end
{%- else -%}
    {{ trimmed }}
{%- endif -%}
{%- endmacro %}


{#-
    A present (trimmed) value read as its column's spec type (`meta`: the column meta the spec
    writes), NULL when it cannot be: an integer is a whole number within BIGINT's range (written
    7, 7.0 or 7e0); a number is finite (NaN and infinities are refused); a datetime follows the
    column's datetime_format (strptime), or else DuckDB's timestamp syntax (ISO 8601); a boolean
    is one of the spec's true/false tokens in any case; a category has its aliases mapped.
-#}
{% macro accrete_cast(text, meta) -%}
{%- if meta.type == 'numerical' and meta.get('integer') -%}
    case when isfinite(try_cast({{ text }} as double)) and try_cast({{ text }} as double) = trunc(try_cast({{ text }} as double)) then try_cast({{ text }} as bigint) end
{%- elif meta.type == 'numerical' -%}
    case when isfinite(try_cast({{ text }} as double)) then try_cast({{ text }} as double) end
{%- elif meta.type == 'datetime' and meta.get('datetime_format') -%}
    try_strptime({{ text }}, {{ accrete_literal(meta.datetime_format) }})
{%- elif meta.type == 'datetime' -%}
    try_cast({{ text }} as timestamp)
{%- elif meta.type == 'boolean' -%}
    case when lower({{ text }}) in ({{ accrete_literals(meta.true_values) }}) then true when lower({{ text }}) in ({{ accrete_literals(meta.false_values) }}) then false end
{%- elif meta.get('aliases') -%}
    case {{ text }}
    {%- for alias, canonical in meta.aliases.items() %} when {{ accrete_literal(alias) }} then {{ accrete_literal(canonical) }}{% endfor %} else {{ text }} end
{%- else -%}
    {{ text }}
{%- endif -%}
{%- endmacro %}


{#-
    accrete_cast, failing the query (instead of giving NULL) on a present value it cannot read,
    with a message naming the column (`label`) and the value: what staging uses, so that a value
    the landing check would have refused (e.g. in a batch ingested before a rule changed) stops
    the build instead of silently becoming missing.
-#}
{% macro accrete_cast_or_fail(text, meta, label) -%}
{%- set typed = accrete_cast(text, meta) -%}
    case when {{ text }} is null or ({{ typed }}) is not null then {{ typed }} else error({{ accrete_literal('column ' ~ label ~ ': cannot read as its type (' ~ meta.type ~ '): ') }} || {{ text }}) end
{%- endmacro %}
