"""Sampling rows from a trained AutoregressiveNet: tokens column by column, then decoded values.

Because the network's state is a sum of embeddings, drawing a column updates it with one
embedding lookup. Rows are drawn in chunks (on the CPU; a GPU draws them all at once) with
tokens-by-rows logits, so every reduction of the inverse-CDF draw runs along contiguous rows. The leading free columns, whose preceding
tokens take few combinations, are drawn from distributions tabulated once per combination.
Conditioned columns are placed first with their tokens fixed, and the rest are drawn in
order, so conditional sampling is exact. Combinations a rule allows (``CombinationMasks``) are
kept the same way: each column is drawn only among the tokens that still complete one of them.

Each chunk has its own seed, drawn from the sample's seed, and is drawn by one of ``workers``
threads with torch on one thread each, so the rows do not depend on the number of workers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.nn import functional

from accrete.generator.autoregressive.device import torch_threads
from accrete.generator.autoregressive.encoders import ColumnEncoder
from accrete.generator.autoregressive.network import AutoregressiveNet, FactorizedHead
from accrete.generator.base import GeneratorError

SAMPLING_CHUNK_ROWS = 4_096
"""Rows sampled at a time on the CPU: keeps the working set in cache and memory bounded."""
PREFIX_TABLE_STATES = 16_384
"""Most combinations of the tabulated leading columns' tokens (their states: 2 MB at hidden 32)."""
CUMULATIVE_BLOCK_TOKENS = 64
"""Tokens per block of the blocked running sum used by the inverse-CDF draw."""


def sample_rows(
    net: AutoregressiveNet,
    encoders: list[ColumnEncoder],
    names: list[str],
    num_rows: int,
    conditions: dict[str, Any],
    seed: int,
    workers: int,
    combinations: dict[str, TokenCombinations] | None = None,
) -> pd.DataFrame:
    """``num_rows`` rows with the columns ``names``, in that order, drawn with ``seed``.

    ``encoders``: one per column of ``net``, in its modelling order; ``conditions``: the value
    of some columns in every row (GeneratorError from the encoder for one the model cannot
    emit); ``combinations``: per rule, the token combinations rows must keep. ``workers``
    threads draw chunks of rows and then decode columns.
    """
    index = {encoder.column.name: position for position, encoder in enumerate(encoders)}
    fixed = {index[name]: encoders[index[name]].condition_token(value) for name, value in conditions.items()}
    generator = torch.Generator().manual_seed(seed)
    with torch_threads(1):
        tokens = sample_tokens(net, num_rows, fixed, generator, workers, combinations).numpy()

    decoded: dict[str, Any] = {}

    def decode(position: int) -> pd.Series | np.ndarray:
        encoder = encoders[position]
        if encoder.column.name in conditions:
            return encoder.condition_values(conditions[encoder.column.name], num_rows)
        if not encoder.places_within_bins:
            return encoder.decode(tokens[position], None)
        within_bins = np.random.default_rng([seed, position]).random(num_rows, dtype=np.float32)
        sources = [decoded[source] for source in encoder.sources]  # decoded before: see below
        return encoder.decode(tokens[position], within_bins, sources)

    # numpy releases the GIL: numbers decode in parallel, then those reading earlier ones, in order
    dependent = [position for position, encoder in enumerate(encoders) if encoder.sources]
    independent = [position for position in range(len(encoders)) if position not in dependent]
    with ThreadPoolExecutor(workers) as pool:
        decoded |= zip(
            [encoders[p].column.name for p in independent], pool.map(decode, independent), strict=True
        )
    for position in dependent:
        decoded[encoders[position].column.name] = decode(position)
    columns = {name: decoded[name] for name in names}
    return pd.DataFrame(columns, copy=False)  # one block per column: no consolidating copy


@torch.inference_mode()
def sample_tokens(
    net: AutoregressiveNet,
    num_rows: int,
    fixed_tokens: dict[int, int],
    generator: torch.Generator,
    workers: int = 1,
    combinations: dict[str, TokenCombinations] | None = None,
) -> torch.Tensor:
    """Tokens (columns, num_rows): ``fixed_tokens`` columns first, the rest in column order.

    The leading free columns, whose preceding columns take few combinations of values, are
    drawn from tables of their distributions computed once per combination; the rest from
    the running state of each chunk of rows. On the CPU, ``workers`` threads draw chunks in
    parallel; each chunk has its own seed from ``generator``, so the tokens do not depend on
    the number of workers. ``combinations``: per rule, the token combinations every row keeps.
    """
    columns = len(net.vocab_sizes)
    device = net.token_embedding.weight.device
    samplers = [_column_sampler(net, column) for column in range(columns)]
    base_state = net.absent_embedding.sum(0)
    for column, token in fixed_tokens.items():
        base_state = base_state + samplers[column].deltas[token]
    free_columns = [column for column in range(columns) if column not in fixed_tokens]
    masks = CombinationMasks.build(combinations or {}, fixed_tokens, free_columns, device)
    free = [masks.restrict(order, samplers[column]) for order, column in enumerate(free_columns)]
    prefix = PrefixTables.build(base_state, free[: masks.first_dynamic(len(free))])
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
            _sample_chunk(free, prefix, uniforms, chunk_output, masks)

    if workers == 1 or len(starts) == 1:
        for start, seed in zip(starts, seeds, strict=True):
            sample_chunk(start, seed)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(sample_chunk, starts, seeds))
    return output


def _column_sampler(net: AutoregressiveNet, column: int) -> ColumnSampler | FactorizedSampler:
    """The sampling parameters of ``net``'s ``column``."""
    start, size = net.column_starts[column], net.vocab_sizes[column]
    head = net.heads[column]
    deltas = net.token_embedding.weight[start : start + size] - net.absent_embedding[column]
    if isinstance(head, FactorizedHead):
        block_size = head.block_size
        return FactorizedSampler(
            blocks=_linear_sampler(net, column, head.block.weight, head.block.bias + head.block_mask, deltas),
            head=head,
            within_cumulator=torch.ones(block_size, block_size, device=deltas.device).tril_(),
        )
    masked_bias = head.bias + net.logit_mask[start : start + size]
    return _linear_sampler(net, column, head.weight, masked_bias, deltas)


def _linear_sampler(
    net: AutoregressiveNet,
    column: int,
    weight: torch.Tensor,
    masked_bias: torch.Tensor,
    deltas: torch.Tensor,
) -> ColumnSampler:
    """A ColumnSampler over the outputs of a linear layer (tokens, or a factorized head's blocks)."""
    size = len(weight)
    block = min(size, CUMULATIVE_BLOCK_TOKENS)
    padding = -size % block
    blocks = (size + padding) // block
    # Padding outputs get weight 0 (bias -inf): they sit after every real one and are never drawn.
    return ColumnSampler(
        gain=net.column_gain[column],
        bias=net.column_bias[column],
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

    def cumulative_weights(self, hidden: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
        """(padded outputs, rows) running sums of exp(logits - max) for ``hidden`` activations;
        ``allowed`` (tokens, rows), when given, says which tokens each row may take."""
        weights = torch.addmm(self.head_bias, self.head_weight, hidden.t())
        if allowed is not None:
            weights[: len(allowed)].masked_fill_(~allowed, float("-inf"))
        weights = weights.sub_(weights.amax(dim=0)).exp_()
        blocks = len(self.offset_cumulator)
        if blocks == 1:
            return self.block_cumulator @ weights
        within = self.block_cumulator @ weights.view(blocks, -1, weights.shape[1])
        within += (self.offset_cumulator @ within[:, -1])[:, None]
        return within.view(weights.shape)

    def draw(
        self,
        states: torch.Tensor,
        hidden: torch.Tensor,
        uniforms: torch.Tensor,
        allowed: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """One token per row of ``states``; ``hidden``: a buffer of their shape, ``uniforms``: (1, rows);
        ``allowed``: (tokens, rows) the tokens each row may take (None: all)."""
        cumulative = self.cumulative_weights(self.activations(states, hidden), allowed)
        return _draw_by_inverse_cdf(cumulative, uniforms[0])

    def without(self, forbidden: torch.Tensor) -> ColumnSampler:
        """This sampler, never drawing the tokens where ``forbidden`` (tokens,) is true."""
        bias = self.head_bias.clone()
        bias[: len(forbidden)][forbidden] = float("-inf")
        return replace(self, head_bias=bias)


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

    def draw(
        self,
        states: torch.Tensor,
        hidden: torch.Tensor,
        uniforms: torch.Tensor,
        allowed: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """One token per row of ``states``; ``uniforms``: (2, rows), one for the block, one within it.
        (Combinations never restrict a factorized column: ``allowed`` is always None.)"""
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
    masks: CombinationMasks,
) -> None:
    """Draw one chunk's tokens into ``output`` (one (rows,) tensor per free column): the
    tabulated columns by their prefix code, the rest from the running state, each among the
    tokens ``masks`` allows; ``uniforms``: (draws, rows), each sampler's in turn."""
    rows = uniforms.shape[1]
    tabulated = len(prefix.cumulative)
    alive = masks.start(rows)
    prefix_code = torch.zeros(rows, dtype=torch.int64, device=uniforms.device)
    for order, table in enumerate(prefix.cumulative):
        output[order].copy_(_draw_by_inverse_cdf(table.index_select(1, prefix_code), uniforms[order]))
        prefix_code.mul_(samplers[order].vocab_size).add_(output[order])
        masks.drawn(order, output[order], alive)
    state = prefix.states.index_select(0, prefix_code)
    hidden, looked_up = torch.empty_like(state), torch.empty_like(state)
    used = tabulated
    for order in range(tabulated, len(samplers)):
        sampler = samplers[order]
        allowed = masks.allowed(order, alive, sampler.vocab_size)
        output[order].copy_(
            sampler.draw(state, hidden, uniforms[used : used + sampler.uniforms_per_row], allowed)
        )
        masks.drawn(order, output[order], alive)
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


@dataclass(frozen=True)
class TokenCombinations:
    """The token combinations a rule allows over some columns of the network."""

    columns: tuple[int, ...]
    """The columns, by their position in the network's modelling order."""
    tokens: torch.Tensor
    """(combinations, len(columns)) int64: one allowed combination per row."""


@dataclass(frozen=True)
class CombinationMasks:
    """Which tokens each free column may take, given the members of its combinations drawn so far.

    Every combination (with conditioned columns' tokens already applied) is followed per row by
    the set of its rows still ``alive``: those agreeing with every member drawn. The first member
    drawn has the same allowed tokens in every row (a static mask on its sampler); a later member
    may take exactly the tokens of its alive combinations. Under one rule a row never runs out of
    tokens (every allowed token leaves a combination alive); under two rules sharing a column it
    can, when no token is allowed by both: it then gets the missing token, breaks a rule, and
    sampling draws it again (``accrete.synthetic.rule_redraws``).
    """

    tables: list[torch.Tensor]
    """Per combination, (combinations, members) tokens of its free members in drawing order."""
    members: list[list[int]]
    """Per combination, the drawing orders of its free members (ascending)."""

    @classmethod
    def build(
        cls,
        combinations: dict[str, TokenCombinations],
        fixed_tokens: dict[int, int],
        free_columns: list[int],
        device: torch.device,
    ) -> CombinationMasks:
        order_of = {column: order for order, column in enumerate(free_columns)}
        tables, members = [], []
        for name, combination in combinations.items():
            tokens = combination.tokens
            agrees = torch.ones(len(tokens), dtype=torch.bool)
            for member, column in enumerate(combination.columns):
                if column in fixed_tokens:
                    agrees &= tokens[:, member] == fixed_tokens[column]
            if not agrees.any():
                raise GeneratorError(f"the conditions leave no combination that rule {name!r} allows")
            free = sorted(
                (order_of[column], member)
                for member, column in enumerate(combination.columns)
                if column not in fixed_tokens
            )
            if free:
                tables.append(tokens[agrees][:, [member for _, member in free]].to(device))
                members.append([order for order, _ in free])
        return cls(tables, members)

    def first_dynamic(self, free: int) -> int:
        """The first drawing order whose allowed tokens depend on earlier draws (``free`` if none)."""
        return min((orders[1] for orders in self.members if len(orders) > 1), default=free)

    def restrict(
        self, order: int, sampler: ColumnSampler | FactorizedSampler
    ) -> ColumnSampler | FactorizedSampler:
        """``sampler`` of the column drawn at ``order``, without the tokens no combination has there
        (when it is the first member drawn of a combination)."""
        for table, orders in zip(self.tables, self.members, strict=True):
            if orders[0] == order:
                possible = torch.zeros(sampler.vocab_size, dtype=torch.bool, device=table.device)
                possible[table[:, 0]] = True
                sampler = sampler.without(~possible)
        return sampler

    def start(self, rows: int) -> list[torch.Tensor]:
        """Per combination, (rows, combinations) all alive."""
        return [
            torch.ones((rows, len(table)), dtype=torch.bool, device=table.device) for table in self.tables
        ]

    def allowed(self, order: int, alive: list[torch.Tensor], vocab_size: int) -> torch.Tensor | None:
        """(tokens, rows) the tokens each row may take at ``order`` (None: no combination restricts it)."""
        allowed = None
        for table, orders, rows_alive in zip(self.tables, self.members, alive, strict=True):
            if order in orders[1:]:
                member = orders.index(order)
                tokens = functional.one_hot(table[:, member], vocab_size).to(torch.float32)
                possible = (tokens.t() @ rows_alive.t().to(torch.float32)) > 0
                allowed = possible if allowed is None else allowed & possible
        return allowed

    def drawn(self, order: int, tokens: torch.Tensor, alive: list[torch.Tensor]) -> None:
        """Keep alive only the combinations that agree with the ``tokens`` drawn at ``order``."""
        for table, orders, rows_alive in zip(self.tables, self.members, alive, strict=True):
            if order in orders[:-1]:
                rows_alive &= table[:, orders.index(order)][None, :] == tokens[:, None]
