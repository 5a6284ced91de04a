"""DP-SGD for the autoregressive network: per-row clipped gradients, Gaussian noise, Poisson batches.

Each step draws its batch by Poisson sampling (every training row joins with probability
``sample_rate``, so the batch size varies), finds the norm of every row's gradient without forming
it (``row_losses_and_gradient_norms``; tested against each row's own backward pass), clips each
row's gradient to ``max_grad_norm`` by weighting its loss, sums them in one backward pass, adds
Gaussian noise of standard deviation ``noise_multiplier * max_grad_norm`` and divides by the
expected batch size. Adam then steps on
that noisy mean, which is post-processing and spends nothing.

The noise multiplier is calibrated before training by Opacus's RDP accountant so that the planned
steps (``epochs / sample_rate``) spend exactly the training share of epsilon at ``delta``; training
stops when they are taken (``privacy_budget``), or earlier on its time budget, having spent less.
What was spent is computed again from the steps actually taken.

The sampling and the noise come from the operating system's entropy, never from the spec's seed:
noise that anyone could regenerate from a public seed would protect nothing. A private fit is
therefore not reproducible, on purpose.
"""

from __future__ import annotations

import secrets
from typing import Any

import torch
from torch.nn import functional

from accrete.generator.autoregressive.network import AutoregressiveNet, FactorizedHead, seen_masks
from accrete.generator.base import GeneratorError
from accrete.generator.privacy_budget import PrivacyBudget

ALPHAS = [1 + step / 10.0 for step in range(1, 100)] + list(range(12, 256))
"""Rényi orders the accountant tries: Opacus's defaults stop at 63, too low for the large noise a
small epsilon needs (the bound would then be loose, though still safe)."""
ACCOUNTANT = "rdp"


def noise_multiplier(epsilon: float, delta: float, sample_rate: float, steps: int) -> float:
    """The smallest noise multiplier with which ``steps`` steps spend at most ``epsilon`` at ``delta``."""
    from opacus.accountants.utils import get_noise_multiplier

    return float(
        get_noise_multiplier(
            target_epsilon=epsilon,
            target_delta=delta,
            sample_rate=sample_rate,
            steps=steps,
            accountant=ACCOUNTANT,
            alphas=ALPHAS,
        )
    )


def spent_epsilon(noise: float, sample_rate: float, steps: int, delta: float) -> float:
    """Epsilon at ``delta`` after ``steps`` Poisson-sampled Gaussian steps (Opacus's RDP accountant)."""
    if steps == 0:
        return 0.0
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    accountant.history = [(noise, sample_rate, steps)]
    return float(accountant.get_epsilon(delta=delta, alphas=ALPHAS))


def secret_generator(device: torch.device) -> torch.Generator:
    """A generator seeded from the operating system's entropy (not reproducible, on purpose)."""
    return torch.Generator(device=device).manual_seed(secrets.randbits(63))


def row_losses_and_gradient_norms(
    net: AutoregressiveNet, tokens: torch.Tensor, seen: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's negative log-likelihood (in the autograd graph) and the L2 norm of its gradient
    over every parameter, without forming any row's gradient.

    Every parameter enters a row's loss through one activation per column (an embedding row, a
    state, a hidden layer), so its per-row gradient is an outer product, or a sum of a few, whose
    norm follows from the activations and their gradients, taken in one backward pass ("ghost
    clipping"). The same forward computation as ``AutoregressiveNet.forward``, with one loss per row.
    """
    embedded, states = net.embedded_states(tokens, seen)
    losses = tokens.new_zeros(len(tokens), dtype=torch.float32)
    # per column its pre-activation and hidden layer; per head output, the output and its column
    pre_activations, hidden_layers, outputs = [], [], []
    for column, head in enumerate(net.heads):
        pre = net.column_pre_activation(states[:, column], column)
        hidden = functional.relu(pre)
        target = tokens[:, column]
        if isinstance(head, FactorizedHead):
            blocks, block_logits, within = head.block_and_within_logits(hidden, target)
            losses = losses + functional.cross_entropy(block_logits.float(), blocks, reduction="none")
            losses = losses + functional.cross_entropy(
                within.float(), target - blocks * head.block_size, reduction="none"
            )
            outputs += [(block_logits, column), (within, column)]
        else:
            logits = net.head_logits(hidden, column)
            losses = losses + functional.cross_entropy(logits.float(), target, reduction="none")
            outputs.append((logits, column))
        pre_activations.append(pre)
        hidden_layers.append(hidden)
    d_embedded, d_states, *rest = torch.autograd.grad(
        losses.sum(),
        [embedded, states, *pre_activations, *(output for output, _ in outputs)],
        retain_graph=True,
    )
    d_pre = torch.stack(rest[: len(pre_activations)], dim=1)
    squared = d_embedded.square().sum((1, 2))  # token_embedding: one row per column
    # absent_embedding: every state's sum, less the delta of each column
    squared += (d_states.sum(1, keepdim=True) - d_embedded).square().sum((1, 2))
    squared += (d_pre * states.detach()).square().sum((1, 2)) + d_pre.square().sum((1, 2))  # gain, bias
    hidden_squared = [hidden.detach().square().sum(1) + 1 for hidden in hidden_layers]  # weight, bias
    for d_output, (_, column) in zip(rest[len(pre_activations) :], outputs, strict=True):
        squared += d_output.float().square().sum(1) * hidden_squared[column]
    return losses, squared.sqrt()


class PrivateSteps:
    """The DP-SGD steps of one training: batches, clipped and noised gradients, and their accounting.

    ``epsilon``: what the steps may spend, the budget's epsilon less what the encoder spent.
    """

    def __init__(
        self,
        net: AutoregressiveNet,
        budget: PrivacyBudget,
        epsilon: float,
        rows: int,
        condition_share: float,
        device: torch.device,
    ):
        if budget.delta >= 1 / rows:
            raise GeneratorError(
                f"privacy.delta {budget.delta:g} is not below 1 / rows ({1 / rows:.2g} for {rows:,} rows): "
                "a delta that large allows a row to be released outright"
            )
        self.net = net
        self.budget = budget
        self.rows = rows
        self.condition_share = condition_share
        self.device = device
        self.sample_rate = min(1.0, budget.batch_size / rows)
        self.steps_per_epoch = max(1, round(1 / self.sample_rate))
        self.planned_steps = max(1, round(budget.epochs / self.sample_rate))
        self.epsilon = epsilon
        self.noise_multiplier = noise_multiplier(epsilon, budget.delta, self.sample_rate, self.planned_steps)
        self.steps_taken = 0
        self.generator = secret_generator(device)

    @property
    def steps_left(self) -> int:
        return self.planned_steps - self.steps_taken

    def step(
        self, train_rows: torch.Tensor, mask_generator: torch.Generator, optimizer: torch.optim.Optimizer
    ) -> float:
        """One DP-SGD step on a Poisson batch of ``train_rows``; the batch's mean loss (0 if empty)."""
        chosen = torch.rand(len(train_rows), generator=self.generator, device=self.device) < self.sample_rate
        batch = train_rows[chosen]
        columns = train_rows.shape[1]
        clip = self.budget.max_grad_norm
        optimizer.zero_grad(set_to_none=True)
        loss_total = 0.0
        if len(batch):
            seen = seen_masks(len(batch), columns, self.condition_share, mask_generator, self.device)
            losses, norms = row_losses_and_gradient_norms(self.net, batch, seen)
            factors = (clip / (norms + 1e-6)).clamp(max=1.0)
            # the gradient of the factor-weighted loss is the sum of the clipped row gradients
            (losses * factors).sum().backward()
            loss_total = float(losses.detach().sum())
        expected_batch = self.sample_rate * self.rows
        for parameter in self.net.parameters():
            noise = torch.randn(
                parameter.shape, generator=self.generator, device=self.device, dtype=parameter.dtype
            )
            summed = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)
            parameter.grad = (summed + noise * (self.noise_multiplier * clip)) / expected_batch
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        self.steps_taken += 1
        return loss_total / max(1, len(batch))

    def summary(self) -> dict[str, Any]:
        """What the training spent and how: for the model manifest, the asset and the data card."""
        from opacus import __version__ as opacus_version

        return {
            "training_epsilon": self.epsilon,
            "training_epsilon_spent": spent_epsilon(
                self.noise_multiplier, self.sample_rate, self.steps_taken, self.budget.delta
            ),
            "noise_multiplier": self.noise_multiplier,
            "sample_rate": self.sample_rate,
            "steps": self.steps_taken,
            "planned_steps": self.planned_steps,
            "accountant": f"{ACCOUNTANT} (opacus {opacus_version})",
        }
