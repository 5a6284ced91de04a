"""A differential-privacy budget for training a generator: what ``generator.privacy`` in a spec means.

(epsilon, delta)-differential privacy bounds what anyone holding the model (or any row sampled
from it) can learn about one person's row: whether a row is in the training table changes the
probability of any outcome by a factor of at most e^epsilon, except with probability delta.

The budget is spent in two parts, which add up (sequential composition):

- ``statistics_share`` of epsilon on what the encoder reads from the data (the quantile bins and
  frequent values of numerical columns, as noisy histograms with pure epsilon-DP);
- the rest, with all of delta, on DP-SGD: per-row clipped gradients with Gaussian noise, on
  Poisson-sampled batches, tracked by Opacus's RDP accountant (``private_training``).

The settings live here only; the spec and the backend both validate through ``PrivacyBudget``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from accrete.generator.base import GeneratorError
from accrete.table_schema import TableSchema


@dataclass(frozen=True)
class PrivacyBudget:
    """The (epsilon, delta) a private fit may spend, and how it trains under it."""

    epsilon: float
    delta: float = 1e-5
    max_grad_norm: float = 1.0
    """Each row's gradient is clipped to this L2 norm before the batch's are summed and noised."""
    statistics_share: float = 0.1
    """Share of epsilon spent on the encoder's noisy histograms (none when no column needs one)."""
    epochs: int = 20
    """Expected passes over the rows: the noise is calibrated so the budget is spent exactly then."""
    batch_size: int = 2_048
    """Expected rows per step (Poisson sampling: each row joins each step with probability
    batch_size / rows). Larger batches average the noise over more rows."""
    learning_rate: float = 0.01
    """Adam's step size under DP (in place of the ``learning_rate`` setting): a private fit takes
    few, noisy steps, and never decays it (that would need a validation loss)."""

    def __post_init__(self) -> None:
        checks = {
            "epsilon": (self.epsilon > 0, "a positive number"),
            "delta": (0 < self.delta < 1, "a number between 0 and 1"),
            "max_grad_norm": (self.max_grad_norm > 0, "a positive number"),
            "statistics_share": (0 < self.statistics_share < 1, "a number between 0 and 1"),
            "epochs": (self.epochs >= 1, "a positive integer"),
            "batch_size": (self.batch_size >= 1, "a positive integer"),
            "learning_rate": (self.learning_rate > 0, "a positive number"),
        }
        for name, (valid, expected) in checks.items():
            if not valid:
                raise GeneratorError(f"privacy.{name} must be {expected}, got {getattr(self, name)!r}")

    @classmethod
    def from_setting(cls, value: Any) -> PrivacyBudget:
        """The budget a ``privacy`` mapping describes; GeneratorError names a bad or unknown key."""
        if not isinstance(value, dict) or "epsilon" not in value:
            raise GeneratorError(
                f"privacy must be a mapping with at least epsilon, e.g. {{epsilon: 1.0, delta: 1e-5}}, got {value!r}"
            )
        known = {field.name: field.type for field in fields(cls)}
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise GeneratorError(f"privacy: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
        for name, given in value.items():
            whole = known[name] == "int"  # the field's annotation (a string: postponed annotations)
            valid = isinstance(given, int) if whole else isinstance(given, int | float)
            if isinstance(given, bool) or not valid:
                expected = "an integer" if whole else "a number"
                raise GeneratorError(f"privacy.{name} must be {expected}, got {given!r}")
        return cls(**value)

    def as_setting(self) -> dict[str, Any]:
        """Every key with its value, as a spec and a model manifest write it."""
        return asdict(self)

    @property
    def statistics_epsilon(self) -> float:
        """The most the encoder's histograms may spend (what they leave unspent goes to training)."""
        return self.epsilon * self.statistics_share


def private_schema_problems(schema: TableSchema) -> list[str]:
    """Why ``schema`` cannot be learned privately: each column whose token layout would have to be
    read from the data (no bounds, no categories, a datetime), named with what it lacks."""
    problems = []
    for column in schema.columns:
        if column.kind == "numerical" and (column.minimum is None or column.maximum is None):
            problems.append(f"numerical column {column.name!r} needs both min and max")
        elif column.kind == "categorical" and not column.categories:
            problems.append(f"categorical column {column.name!r} needs its categories listed")
        elif column.kind == "datetime":
            problems.append(f"datetime column {column.name!r} cannot be laid out privately yet")
    return problems


def privacy_statement(spent: dict[str, Any] | None) -> str:
    """What a model's privacy record (a private fit's ``privacy``, None without) says, for people:
    the data card, the generator asset and ``accrete synthesize`` print it."""
    if spent is None:
        return "trained without differential privacy"
    return (
        f"trained with ({spent['epsilon']:g}, {spent['delta']:g})-differential privacy: epsilon spent "
        f"{spent['epsilon_spent']:.3f} ({spent['statistics_epsilon_spent']:.3f} on the encoder's noisy "
        f"histograms, {spent['training_epsilon_spent']:.3f} by DP-SGD with noise multiplier "
        f"{spent['noise_multiplier']:.3f}, clipping norm {spent['max_grad_norm']:g}, {spent['steps']:,} steps "
        f"at sample rate {spent['sample_rate']:.4f}; accountant {spent['accountant']})"
    )
