"""The network behind the autoregressive generator: p(row) = prod_t p(x_t | columns seen before t).

Each (column, token) pair has an embedding; a column that is not seen yet contributes a
learned "absent" embedding instead. The state that predicts column ``t`` is the sum of
these embeddings, passed through a column-specific gain, bias and ReLU, then a
column-specific linear head gives the logits of ``t``'s tokens.

Because the state is a sum, sampling updates it with one embedding lookup per column,
which keeps sampling at hundreds of thousands of rows per second on a CPU. Which columns
are "seen" is a mask, so the same network serves the natural column order and any set
of conditioned columns placed first: training mixes in random conditioned columns, and
conditional sampling fixes those columns' tokens and samples the rest in order, exactly.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

SAMPLING_CHUNK_ROWS = 4_096
"""Rows sampled at a time on the CPU: keeps the working set in cache and memory bounded."""


class AutoregressiveNet(nn.Module):
    """Per-column conditionals over tokenised columns, with any prefix or conditioned set observed."""

    def __init__(self, vocab_sizes: list[int], hidden: int, allowed_tokens: list[torch.Tensor]):
        super().__init__()
        self.vocab_sizes = list(vocab_sizes)
        columns = len(vocab_sizes)
        self.register_buffer("token_offsets", torch.tensor([0, *vocab_sizes[:-1]]).cumsum(0))
        self.column_starts = self.token_offsets.tolist()
        """The same offsets as Python ints: slicing with them keeps torch.compile's graph whole."""
        self.token_embedding = nn.Embedding(sum(vocab_sizes), hidden)
        nn.init.normal_(self.token_embedding.weight, std=0.5 / columns**0.5)
        self.absent_embedding = nn.Parameter(torch.zeros(columns, hidden))
        self.column_gain = nn.Parameter(torch.ones(columns, hidden))
        self.column_bias = nn.Parameter(torch.zeros(columns, hidden))
        self.heads = nn.ModuleList(nn.Linear(hidden, size) for size in vocab_sizes)
        mask = torch.cat([torch.where(allowed, 0.0, float("-inf")) for allowed in allowed_tokens])
        self.register_buffer("logit_mask", mask)

    def _column_logits(self, state: torch.Tensor, column: int) -> torch.Tensor:
        hidden = functional.relu(state * self.column_gain[column] + self.column_bias[column])
        start = self.column_starts[column]
        mask = self.logit_mask[start : start + self.vocab_sizes[column]]
        return self.heads[column](hidden) + mask

    def forward(self, tokens: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood per row (summed over columns, averaged over rows).

        ``tokens``: (rows, columns) int64; ``seen``: (rows, columns, columns) float, 1 where
        column j is observed when predicting column t (never t itself).
        """
        embedded = self.token_embedding(tokens + self.token_offsets)
        delta = embedded - self.absent_embedding
        states = self.absent_embedding.sum(0) + torch.bmm(seen, delta)
        total = tokens.new_zeros((), dtype=torch.float32)
        for column in range(len(self.vocab_sizes)):
            logits = self._column_logits(states[:, column], column).float()
            total = total + functional.cross_entropy(logits, tokens[:, column])
        return total

    @torch.inference_mode()
    def sample(
        self,
        num_rows: int,
        fixed_tokens: dict[int, int],
        generator: torch.Generator,
    ) -> torch.Tensor:
        """Tokens (num_rows, columns): ``fixed_tokens`` columns first, the rest in column order."""
        columns = len(self.vocab_sizes)
        device = self.token_embedding.weight.device
        deltas = [self._token_deltas(column) for column in range(columns)]
        base_state = self.absent_embedding.sum(0)
        for column, token in fixed_tokens.items():
            base_state = base_state + deltas[column][token]
        free_columns = [column for column in range(columns) if column not in fixed_tokens]
        head_biases = [self._masked_head_bias(column) for column in range(columns)]
        head_weights = [head.weight.t().contiguous() for head in self.heads]
        output = torch.empty((num_rows, columns), dtype=torch.int64, device=device)
        for column, token in fixed_tokens.items():
            output[:, column] = token
        chunk = SAMPLING_CHUNK_ROWS if device.type == "cpu" else max(num_rows, 1)
        hidden = torch.empty((min(chunk, num_rows), self.column_gain.shape[1]), device=device)
        looked_up = torch.empty_like(hidden)
        for start in range(0, num_rows, chunk):
            rows = min(chunk, num_rows - start)
            state = base_state.expand(rows, -1).clone()
            for column in free_columns:
                torch.addcmul(self.column_bias[column], state, self.column_gain[column], out=hidden[:rows])
                logits = torch.addmm(head_biases[column], hidden[:rows].relu_(), head_weights[column])
                drawn = _draw_categorical(logits, generator)
                output[start : start + rows, column] = drawn
                torch.index_select(deltas[column], 0, drawn, out=looked_up[:rows])
                state += looked_up[:rows]
        return output

    def _masked_head_bias(self, column: int) -> torch.Tensor:
        start = self.column_starts[column]
        return self.heads[column].bias + self.logit_mask[start : start + self.vocab_sizes[column]]

    def _token_deltas(self, column: int) -> torch.Tensor:
        start = self.column_starts[column]
        weights = self.token_embedding.weight[start : start + self.vocab_sizes[column]]
        return weights - self.absent_embedding[column]


def _draw_categorical(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One draw per row from softmax(logits) by inverse CDF: one uniform number per row."""
    cumulative = logits.sub_(logits.amax(dim=1, keepdim=True)).exp_().cumsum_(dim=1)
    uniforms = torch.rand((len(logits), 1), generator=generator, device=logits.device)
    drawn = torch.searchsorted(cumulative, uniforms.mul_(cumulative[:, -1:]), right=True)
    return drawn.squeeze(1).clamp_(max=logits.shape[1] - 1)


def seen_masks(
    rows: int, columns: int, condition_share: float, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """(rows, columns, columns) masks: the natural prefix, plus random conditioned columns
    on a ``condition_share`` of the rows (each column with probability 1 / columns)."""
    prefix = torch.ones(columns, columns, device=device).tril(-1)
    if condition_share <= 0:
        return prefix.expand(rows, -1, -1)
    conditioned_rows = torch.rand((rows, 1), generator=generator, device=device) < condition_share
    conditioned = (torch.rand((rows, columns), generator=generator, device=device) < 1 / columns) & (
        conditioned_rows
    )
    not_self = 1.0 - torch.eye(columns, device=device)
    return torch.maximum(prefix, conditioned[:, None, :].float() * not_self)
