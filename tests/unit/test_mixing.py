"""The synthetic share cap of the mixed table."""

import pytest

from accrete.mixing import synthetic_rows_allowed


@pytest.mark.parametrize(
    ("real", "synthetic", "share", "allowed"),
    [
        (700, 1000, 0.3, 300),  # 300 / (700 + 300) = 30%
        (700, 100, 0.3, 100),  # fewer synthetic rows than the cap: all of them
        (1000, 5000, 0.5, 1000),
        (1000, 5000, 0.0, 0),
        (0, 5000, 0.3, 0),  # never synthetic rows without real ones
    ],
)
def test_cap_keeps_share_at_most_the_limit(real, synthetic, share, allowed):
    result = synthetic_rows_allowed(real, synthetic, share)
    assert result == allowed
    if real + result:
        assert result / (real + result) <= share + 1e-12


def test_cap_rejects_bad_values():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        synthetic_rows_allowed(10, 10, 1.0)
    with pytest.raises(ValueError, match="negative"):
        synthetic_rows_allowed(-1, 10, 0.2)
