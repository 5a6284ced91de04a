"""The ``accrete`` command line: what a data scientist does with a file in hand, without Dagster.

Each subcommand is a thin shell over the library functions the assets call, so what the command
line measures is what the pipeline does. Exit codes: 0 all good, 1 a gate or check failed,
2 bad input (the message names it).
"""
