{{ accrete_clean(ref('stg_example')) }}
