{{ accrete_staging(ref('example_raw')) }}
