"""The torch.distributed process group as the trainer sees it: rank, world size, DDP, agreement.

Outside a process group of more than one process (a plain ``fit``) every helper answers as
for a single process, so the trainer runs the same code either way.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def in_process_group() -> bool:
    """True inside a torch.distributed process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if in_process_group() else 0


def world_size() -> int:
    return dist.get_world_size() if in_process_group() else 1


def wrap(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``net`` under DistributedDataParallel on ``device``."""
    if device.type == "cuda":
        return DistributedDataParallel(net, device_ids=[torch.cuda.current_device()])
    return DistributedDataParallel(net)


def any_process(flag: bool, device: torch.device) -> bool:
    """True when ``flag`` is true in any process of the group (just ``flag`` outside one)."""
    if not in_process_group():
        return flag
    value = torch.tensor([float(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())
