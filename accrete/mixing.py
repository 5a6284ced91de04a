"""Mixing: accumulated real rows plus synthetic rows, never synthetic rows instead of real ones.

Replacing real data with synthetic data, generation after generation, makes models
collapse; adding synthetic rows beside an ever-growing real table keeps the error
bounded. The cap keeps synthetic rows at most ``max_share`` of the mixed table.
"""

from __future__ import annotations

import math


def synthetic_rows_allowed(real_rows: int, synthetic_rows: int, max_share: float) -> int:
    """How many synthetic rows may join ``real_rows`` real ones with synthetic share <= ``max_share``."""
    if not 0.0 <= max_share < 1.0:
        raise ValueError(f"max_synthetic_share must be in [0, 1), got {max_share}")
    if real_rows < 0 or synthetic_rows < 0:
        raise ValueError("row counts cannot be negative")
    cap = math.floor(max_share * real_rows / (1.0 - max_share) + 1e-9)
    return min(synthetic_rows, cap)


def mixed_table_sql(real_table: str, synthetic_table: str, columns: list[str], synthetic_limit: int) -> str:
    """SELECT of the mixed table: every real row, then the first ``synthetic_limit`` synthetic rows,
    each tagged with its provenance."""
    selected = ", ".join(columns)
    return f"""
        select 'real' as _source, _batch as _real_partition, _row_id as _real_row_id,
               null::varchar as _generator_version, _run_id, {selected}
        from {real_table}
        union all
        select * from (
            select _source, _real_partition, _real_row_id, _generator_version, _run_id, {selected}
            from {synthetic_table}
            order by _synthetic_row
            limit {int(synthetic_limit)}
        )
    """
