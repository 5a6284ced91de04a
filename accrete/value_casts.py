"""How a delivered text value becomes a typed value, by the one rule staging applies.

The rule is written once, as dbt macros (``dbt_project/macros/accrete_casting.sql``: trimming,
missing-value tokens, the cast of each spec type). Staging runs them over the raw table; this
module renders the same macros with Jinja and runs them in DuckDB over a frame of text values, so
the landing check (and ``accrete validate``) accept exactly the values staging can type: the two
cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import jinja2
import pandas as pd

from accrete.spec import DatasetSpec
from accrete.transform.dbt_models import column_meta

MACROS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "macros"
CASTING_MACROS = ("accrete_casting.sql", "accrete_properties.sql")
"""The casting macros, and the file holding the literal helpers they call."""


@cache
def _macros():
    """The casting macros as callables returning SQL text (rendered by Jinja as dbt renders them)."""
    source = "\n".join((MACROS_DIR / name).read_text() for name in CASTING_MACROS)
    environment = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)
    return environment.from_string(source).module


def read_values(
    text: pd.DataFrame, spec: DatasetSpec, metas: dict[str, dict] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(present, typed)`` for the columns of ``text`` (delivered text values, under spec column keys).

    ``present``: each value trimmed, missing (NA) where it is one of the spec's missing-value
    tokens. ``typed``: the present value read as its column's type (as staging types it, with the
    dtypes a frame read from the warehouse has), missing where the value is missing or cannot be
    read. Both keep ``text``'s index. ``metas`` overrides a column's meta (what to cast by).
    """
    macros = _macros()
    tokens = list(spec.format.missing_tokens)
    metas = {name: (metas or {}).get(name) or column_meta(spec.columns[name]) for name in text.columns}
    aliases = {name: f"c{position}" for position, name in enumerate(text.columns)}
    present = ", ".join(f"{macros.accrete_present(alias, tokens)} as {alias}" for alias in aliases.values())
    typed = ", ".join(
        f"({macros.accrete_cast(alias, metas[name])}) as t_{alias}" for name, alias in aliases.items()
    )
    delivered = text.set_axis(list(aliases.values()), axis=1).reset_index(drop=True)
    delivered["_position"] = range(len(delivered))
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")  # a long check prints nothing
        connection.register("delivered", delivered)
        result = connection.execute(
            f"with present as (select _position, {present} from delivered) "
            f"select {', '.join(aliases.values())}, {typed} from present order by _position"
        ).df()
    present_values = result[list(aliases.values())].set_axis(list(aliases), axis=1)
    typed_values = result[[f"t_{alias}" for alias in aliases.values()]].set_axis(list(aliases), axis=1)
    present_values.index = typed_values.index = text.index
    return present_values.astype(object).where(present_values.notna(), pd.NA), typed_values
