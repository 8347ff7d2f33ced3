"""Data parallel training over users under torch.distributed (Ray Train's workers set it up,
pipeline/distributed.py): which process this is, and the sums every step makes across them."""

from __future__ import annotations

import torch


def distributed_rank() -> tuple[int, int]:
    """(world size, rank) under torch.distributed (set up by Ray Train's workers,
    pipeline/distributed.py), else (1, 0).

    Data parallel over users: every process holds the whole graph and embedding table, takes its
    share of each batch, and gradients are summed before the step, so every process applies the
    same update as one process would on the whole batch. Random draws (epoch order, negatives) come
    from one seeded generator that every process advances identically."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def sum_gradients(module: torch.nn.Module) -> None:
    import torch.distributed as dist

    for parameter in module.parameters():
        if parameter.grad is None:  # e.g. the item bias of a process with an empty share: still reduce,
            parameter.grad = torch.zeros_like(parameter)  # every process must make the same calls
        dist.all_reduce(parameter.grad, op=dist.ReduceOp.SUM)


def sum_scalar(value: float, device: torch.device) -> float:
    import torch.distributed as dist

    tensor = torch.tensor([value], dtype=torch.float64, device=device)  # nccl reduces GPU tensors only
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return float(tensor.item())
