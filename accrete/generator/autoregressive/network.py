"""The network behind the autoregressive generator: p(row) = prod_t p(x_t | columns seen before t).

Each (column, token) pair has an embedding; a column that is not seen yet contributes a
learned "absent" embedding instead. The state that predicts column ``t`` is the sum of
these embeddings, passed through a column-specific gain, bias and ReLU, then a
column-specific linear head gives the logits of ``t``'s tokens (a FactorizedHead, block
then token within the block, for columns of thousands of tokens).

Because the state is a sum, sampling updates it with one embedding lookup per column.
Sampling works on chunks of rows with tokens-by-rows logits, so every reduction of the
inverse-CDF draw runs along contiguous rows, and tabulates the leading columns, whose
preceding tokens take few combinations. Which columns are "seen" is a mask, so the same
network serves the natural column order and any set of conditioned columns placed first:
training mixes in random conditioned columns, and conditional sampling fixes those
columns' tokens and samples the rest in order, exactly.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

SAMPLING_CHUNK_ROWS = 4_096
"""Rows sampled at a time on the CPU: keeps the working set in cache and memory bounded."""
PREFIX_TABLE_STATES = 16_384
"""Most combinations of the tabulated leading columns' tokens (their states: 2 MB at hidden 32)."""
CUMULATIVE_BLOCK_TOKENS = 64
"""Tokens per block of the blocked running sum used by the inverse-CDF draw."""
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

    def negative_log_likelihood(self, hidden: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Mean over rows of -log p(token): the block's cross-entropy plus the token's within it."""
        blocks = torch.div(tokens, self.block_size, rounding_mode="floor")
        block_logits = (self.block(hidden) + self.block_mask).float()
        within = self.within_logits(hidden, blocks).float()
        return functional.cross_entropy(block_logits, blocks) + functional.cross_entropy(
            within, tokens - blocks * self.block_size
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

    def _column_hidden(self, state: torch.Tensor, column: int) -> torch.Tensor:
        return functional.relu(state * self.column_gain[column] + self.column_bias[column])

    def _column_logits(self, state: torch.Tensor, column: int) -> torch.Tensor:
        """Logits (up to a constant per row) of every token of ``column``."""
        hidden = self._column_hidden(state, column)
        head = self.heads[column]
        if isinstance(head, FactorizedHead):
            return head.log_probabilities(hidden)
        start = self.column_starts[column]
        return head(hidden) + self.logit_mask[start : start + self.vocab_sizes[column]]

    def forward(self, tokens: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood per row (summed over columns, averaged over rows).

        ``tokens``: (rows, columns) int64; ``seen``: (rows, columns, columns) float, 1 where
        column j is observed when predicting column t (never t itself).
        """
        embedded = self.token_embedding(tokens + self.token_offsets)
        delta = embedded - self.absent_embedding
        states = self.absent_embedding.sum(0) + torch.bmm(seen, delta)
        total = tokens.new_zeros((), dtype=torch.float32)
        for column, head in enumerate(self.heads):
            if isinstance(head, FactorizedHead):
                hidden = self._column_hidden(states[:, column], column)
                total = total + head.negative_log_likelihood(hidden, tokens[:, column])
            else:
                logits = self._column_logits(states[:, column], column).float()
                total = total + functional.cross_entropy(logits, tokens[:, column])
        return total

    @torch.inference_mode()
    def sample(
        self,
        num_rows: int,
        fixed_tokens: dict[int, int],
        generator: torch.Generator,
        workers: int = 1,
    ) -> torch.Tensor:
        """Tokens (columns, num_rows): ``fixed_tokens`` columns first, the rest in column order.

        The leading free columns, whose preceding columns take few combinations of values, are
        drawn from tables of their distributions computed once per combination; the rest from
        the running state of each chunk of rows. On the CPU, ``workers`` threads draw chunks in
        parallel; each chunk has its own seed from ``generator``, so the tokens do not depend on
        the number of workers.
        """
        columns = len(self.vocab_sizes)
        device = self.token_embedding.weight.device
        samplers = [self._column_sampler(column) for column in range(columns)]
        base_state = self.absent_embedding.sum(0)
        for column, token in fixed_tokens.items():
            base_state = base_state + samplers[column].deltas[token]
        free_columns = [column for column in range(columns) if column not in fixed_tokens]
        free = [samplers[column] for column in free_columns]
        prefix = PrefixTables.build(base_state, free)
        draws = sum(sampler.uniforms_per_row for sampler in free)
        output = torch.empty((columns, num_rows), dtype=torch.int64, device=device)
        for column, token in fixed_tokens.items():
            output[column] = token
        chunk = SAMPLING_CHUNK_ROWS if device.type == "cpu" else max(num_rows, 1)
        starts = range(0, num_rows, chunk)
        seeds = torch.randint(2**62, (len(starts),), generator=generator, device=generator.device).tolist()

        def sample_chunk(start: int, seed: int) -> None:
            with torch.inference_mode():  # a per-thread mode
                rows = min(chunk, num_rows - start)
                chunk_generator = torch.Generator(device).manual_seed(seed)
                uniforms = torch.rand((draws, rows), generator=chunk_generator, device=device)
                chunk_output = [output[column, start : start + rows] for column in free_columns]
                _sample_chunk(free, prefix, uniforms, chunk_output)

        if workers == 1 or len(starts) == 1:
            for start, seed in zip(starts, seeds, strict=True):
                sample_chunk(start, seed)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(sample_chunk, starts, seeds))
        return output

    def _column_sampler(self, column: int) -> ColumnSampler | FactorizedSampler:
        start, size = self.column_starts[column], self.vocab_sizes[column]
        head = self.heads[column]
        deltas = self.token_embedding.weight[start : start + size] - self.absent_embedding[column]
        if isinstance(head, FactorizedHead):
            block_size = head.block_size
            return FactorizedSampler(
                blocks=self._linear_sampler(
                    column, head.block.weight, head.block.bias + head.block_mask, deltas
                ),
                head=head,
                within_cumulator=torch.ones(block_size, block_size, device=deltas.device).tril_(),
            )
        masked_bias = head.bias + self.logit_mask[start : start + size]
        return self._linear_sampler(column, head.weight, masked_bias, deltas)

    def _linear_sampler(
        self, column: int, weight: torch.Tensor, masked_bias: torch.Tensor, deltas: torch.Tensor
    ) -> ColumnSampler:
        """A ColumnSampler over the outputs of a linear layer (tokens, or a factorized head's blocks)."""
        size = len(weight)
        block = min(size, CUMULATIVE_BLOCK_TOKENS)
        padding = -size % block
        blocks = (size + padding) // block
        # Padding outputs get weight 0 (bias -inf): they sit after every real one and are never drawn.
        return ColumnSampler(
            gain=self.column_gain[column],
            bias=self.column_bias[column],
            head_weight=functional.pad(weight, (0, 0, 0, padding)),
            head_bias=functional.pad(masked_bias, (0, padding), value=float("-inf"))[:, None],
            block_cumulator=torch.ones(block, block, device=weight.device).tril_(),
            offset_cumulator=torch.ones(blocks, blocks, device=weight.device).tril_(-1),
            deltas=deltas,
        )


@dataclass(frozen=True)
class ColumnSampler:
    """One column's sampling parameters: the state-to-logits layers and the state update.

    Running sums over the outputs are two small matrix products: within blocks of at most
    CUMULATIVE_BLOCK_TOKENS outputs, then across blocks.
    """

    gain: torch.Tensor
    bias: torch.Tensor
    head_weight: torch.Tensor
    """(padded outputs, hidden): the head's weight, zero rows for the padding outputs."""
    head_bias: torch.Tensor
    """(padded outputs, 1): the head's bias plus the mask of outputs never to emit (-inf)."""
    block_cumulator: torch.Tensor
    """(block, block) lower-triangular ones: running sums within a block."""
    offset_cumulator: torch.Tensor
    """(blocks, blocks) strictly lower-triangular ones: each block's offset, the earlier blocks' total."""
    deltas: torch.Tensor
    """(tokens, hidden): what a drawn token adds to the state (its embedding minus "absent")."""

    uniforms_per_row = 1

    @property
    def vocab_size(self) -> int:
        return len(self.deltas)

    def activations(self, states: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """The column's hidden layer, ReLU(gain * state + bias), for ``states`` (rows, hidden)."""
        return torch.addcmul(self.bias, states, self.gain, out=out).relu_()

    def cumulative_weights(self, hidden: torch.Tensor) -> torch.Tensor:
        """(padded outputs, rows) running sums of exp(logits - max) for ``hidden`` activations."""
        weights = torch.addmm(self.head_bias, self.head_weight, hidden.t())
        weights = weights.sub_(weights.amax(dim=0)).exp_()
        blocks = len(self.offset_cumulator)
        if blocks == 1:
            return self.block_cumulator @ weights
        within = self.block_cumulator @ weights.view(blocks, -1, weights.shape[1])
        within += (self.offset_cumulator @ within[:, -1])[:, None]
        return within.view(weights.shape)

    def draw(self, states: torch.Tensor, hidden: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
        """One token per row of ``states``; ``hidden``: a buffer of their shape, ``uniforms``: (1, rows)."""
        return _draw_by_inverse_cdf(self.cumulative_weights(self.activations(states, hidden)), uniforms[0])


@dataclass(frozen=True)
class FactorizedSampler:
    """Sampling of a FactorizedHead column: a block from ``blocks``, then a token within it."""

    blocks: ColumnSampler
    """Draws the block; its ``deltas`` are the column's tokens' state updates."""
    head: FactorizedHead
    within_cumulator: torch.Tensor
    """(block size, block size) lower-triangular ones."""

    uniforms_per_row = 2

    @property
    def deltas(self) -> torch.Tensor:
        return self.blocks.deltas

    @property
    def vocab_size(self) -> int:
        return len(self.blocks.deltas)

    def draw(self, states: torch.Tensor, hidden: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
        """One token per row of ``states``; ``uniforms``: (2, rows), one for the block, one within it."""
        hidden = self.blocks.activations(states, hidden)
        blocks = _draw_by_inverse_cdf(self.blocks.cumulative_weights(hidden), uniforms[0])
        weights = self.head.within_logits(hidden, blocks).t()
        within = _draw_by_inverse_cdf(
            self.within_cumulator @ weights.sub(weights.amax(dim=0)).exp_(), uniforms[1]
        )
        return (blocks * self.head.block_size + within).clamp_(max=self.vocab_size - 1)


@dataclass(frozen=True)
class PrefixTables:
    """The leading free columns' distributions, tabulated for every combination of the tokens
    before them, and the state after them: sampling those columns is a lookup and a draw.

    A combination's index is its tokens read as a mixed-radix number, first column first.
    Columns are tabulated while their combinations number at most PREFIX_TABLE_STATES.
    """

    cumulative: list[torch.Tensor]
    """Per tabulated column, (tokens, combinations of the columns before it) cumulative weights."""
    states: torch.Tensor
    """(combinations of all tabulated columns, hidden): the state each combination leads to."""

    @classmethod
    def build(
        cls, base_state: torch.Tensor, samplers: list[ColumnSampler | FactorizedSampler]
    ) -> PrefixTables:
        states = base_state[None, :]
        cumulative = []
        for sampler in samplers:
            if (
                isinstance(sampler, FactorizedSampler)
                or len(states) * sampler.vocab_size > PREFIX_TABLE_STATES
            ):
                break
            cumulative.append(sampler.cumulative_weights(sampler.activations(states)))
            states = (states[:, None, :] + sampler.deltas[None, :, :]).flatten(0, 1)
        return cls(cumulative, states)


def _sample_chunk(
    samplers: list[ColumnSampler | FactorizedSampler],
    prefix: PrefixTables,
    uniforms: torch.Tensor,
    output: list[torch.Tensor],
) -> None:
    """Draw one chunk's tokens into ``output`` (one (rows,) tensor per free column): the
    tabulated columns by their prefix code, the rest from the running state; ``uniforms``:
    (draws, rows), each sampler's in turn."""
    rows = uniforms.shape[1]
    tabulated = len(prefix.cumulative)
    prefix_code = torch.zeros(rows, dtype=torch.int64, device=uniforms.device)
    for order, table in enumerate(prefix.cumulative):
        output[order].copy_(_draw_by_inverse_cdf(table.index_select(1, prefix_code), uniforms[order]))
        prefix_code.mul_(samplers[order].vocab_size).add_(output[order])
    state = prefix.states.index_select(0, prefix_code)
    hidden, looked_up = torch.empty_like(state), torch.empty_like(state)
    used = tabulated
    for order in range(tabulated, len(samplers)):
        sampler = samplers[order]
        output[order].copy_(sampler.draw(state, hidden, uniforms[used : used + sampler.uniforms_per_row]))
        used += sampler.uniforms_per_row
        if order < len(samplers) - 1:
            state += torch.index_select(sampler.deltas, 0, output[order], out=looked_up)


def _draw_by_inverse_cdf(cumulative: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """One token per row: the first token whose cumulative weight reaches ``(1 - u) * total``.

    ``cumulative``: (tokens, rows) running sums of unnormalised probabilities, overwritten;
    ``uniforms``: (rows,) in [0, 1), overwritten. With the threshold in (0, total], a token of
    zero probability is never drawn. The tokens still below the threshold are counted with an
    in-place float comparison, which vectorises far better than one producing booleans.
    """
    total = cumulative[-1]
    threshold = uniforms.mul_(total).neg_().add_(total)
    return cumulative.lt_(threshold).sum(dim=0).long().clamp_(max=len(cumulative) - 1)


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
