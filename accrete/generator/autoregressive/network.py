"""The network behind the autoregressive generator: p(row) = prod_t p(x_t | columns seen before t).

Each (column, token) pair has an embedding; a column that is not seen yet contributes a
learned "absent" embedding instead. The state that predicts column ``t`` is the sum of
these embeddings, passed through a column-specific gain, bias and ReLU, then a
column-specific linear head gives the logits of ``t``'s tokens (a FactorizedHead, block
then token within the block, for columns of thousands of tokens).

Which columns are "seen" is a mask, so the same network serves the natural column order
and any set of conditioned columns placed first: training mixes in random conditioned
columns (``seen_masks``), and conditional sampling (``sampler``) fixes those columns'
tokens and samples the rest in order, exactly.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional

FACTORIZED_HEAD_TOKENS = 1_024
"""Columns with more tokens get a FactorizedHead: a block of tokens, then a token within it."""


class FactorizedHead(nn.Module):
    """The output layer of a column with thousands of tokens: p(token) = p(block) p(token | block).

    Tokens are grouped in blocks of about sqrt(tokens), so a training step evaluates one layer
    over the blocks and, per row, only the tokens of that row's block: about 2 sqrt(tokens)
    logits instead of all of them. Masked tokens get -inf, and so does a block of masked tokens.
    """

    def __init__(self, hidden: int, allowed: torch.Tensor):
        super().__init__()
        self.size = len(allowed)
        self.block_size = math.ceil(math.sqrt(self.size))
        self.blocks = math.ceil(self.size / self.block_size)
        padded = functional.pad(allowed, (0, self.blocks * self.block_size - self.size), value=False)
        self.block = nn.Linear(hidden, self.blocks)
        self.token = nn.Linear(hidden, self.blocks * self.block_size)
        self.register_buffer("token_mask", torch.where(padded, 0.0, float("-inf")))
        self.register_buffer(
            "block_mask", torch.where(padded.view(self.blocks, -1).any(dim=1), 0.0, float("-inf"))
        )

    def within_logits(self, hidden: torch.Tensor, blocks: torch.Tensor) -> torch.Tensor:
        """(rows, block size) logits of the tokens in each row's block, given that block."""
        weight = self.token.weight.view(self.blocks, self.block_size, -1)[blocks]
        bias = (self.token.bias + self.token_mask).view(self.blocks, self.block_size)[blocks]
        return torch.baddbmm(bias[:, :, None], weight, hidden[:, :, None]).squeeze(2)

    def block_and_within_logits(
        self, hidden: torch.Tensor, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each row's block, the logits of the blocks, and those of the tokens within its block."""
        blocks = torch.div(tokens, self.block_size, rounding_mode="floor")
        return blocks, self.block(hidden) + self.block_mask, self.within_logits(hidden, blocks)

    def negative_log_likelihood(self, hidden: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Mean over rows of -log p(token): the block's cross-entropy plus the token's within it."""
        blocks, block_logits, within = self.block_and_within_logits(hidden, tokens)
        return functional.cross_entropy(block_logits.float(), blocks) + functional.cross_entropy(
            within.float(), tokens - blocks * self.block_size
        )

    def log_probabilities(self, hidden: torch.Tensor) -> torch.Tensor:
        """(rows, tokens) log p(token) of every token (for inspection; training and sampling
        never need all of them)."""
        block_log_p = functional.log_softmax(self.block(hidden) + self.block_mask, dim=1)
        token_logits = (self.token(hidden) + self.token_mask).view(len(hidden), self.blocks, -1)
        # A block of masked tokens only has -inf logits: its log-softmax is NaN, its tokens' -inf.
        within_log_p = functional.log_softmax(token_logits, dim=2).nan_to_num(
            nan=float("-inf"), neginf=float("-inf")
        )
        return (block_log_p[:, :, None] + within_log_p).flatten(1)[:, : self.size]


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
        self.heads = nn.ModuleList(
            FactorizedHead(hidden, allowed)
            if len(allowed) > FACTORIZED_HEAD_TOKENS
            else nn.Linear(hidden, len(allowed))
            for allowed in allowed_tokens
        )
        mask = torch.cat([torch.where(allowed, 0.0, float("-inf")) for allowed in allowed_tokens])
        self.register_buffer("logit_mask", mask)

    def column_pre_activation(self, state: torch.Tensor, column: int) -> torch.Tensor:
        """``column``'s hidden layer before its ReLU."""
        return state * self.column_gain[column] + self.column_bias[column]

    def _column_hidden(self, state: torch.Tensor, column: int) -> torch.Tensor:
        return functional.relu(self.column_pre_activation(state, column))

    def head_logits(self, hidden: torch.Tensor, column: int) -> torch.Tensor:
        """The logits of every token of ``column`` from its hidden layer (an ordinary head)."""
        start = self.column_starts[column]
        return self.heads[column](hidden) + self.logit_mask[start : start + self.vocab_sizes[column]]

    def _column_logits(self, state: torch.Tensor, column: int) -> torch.Tensor:
        """Logits (up to a constant per row) of every token of ``column``."""
        hidden = self._column_hidden(state, column)
        head = self.heads[column]
        if isinstance(head, FactorizedHead):
            return head.log_probabilities(hidden)
        return self.head_logits(hidden, column)

    def embedded_states(self, tokens: torch.Tensor, seen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows' token embeddings and, per column, the state that predicts it (the sum of the
        embeddings of the columns ``seen`` before it, the absent embedding for the others)."""
        embedded = self.token_embedding(tokens + self.token_offsets)
        delta = embedded - self.absent_embedding
        return embedded, self.absent_embedding.sum(0) + torch.bmm(seen, delta)

    def forward(
        self, tokens: torch.Tensor, seen: torch.Tensor, shown: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Negative log-likelihood per row (summed over columns, averaged over rows).

        ``tokens``: (rows, columns) int64; ``seen``: (rows, columns, columns) float, 1 where
        column j is observed when predicting column t (never t itself); ``shown``: the tokens the
        other columns observe, where they differ from ``tokens`` (None: ``tokens``).
        """
        _, states = self.embedded_states(tokens if shown is None else shown, seen)
        total = tokens.new_zeros((), dtype=torch.float32)
        for column, head in enumerate(self.heads):
            if isinstance(head, FactorizedHead):
                hidden = self._column_hidden(states[:, column], column)
                total = total + head.negative_log_likelihood(hidden, tokens[:, column])
            else:
                logits = self._column_logits(states[:, column], column).float()
                total = total + functional.cross_entropy(logits, tokens[:, column])
        return total


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
