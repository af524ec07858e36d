"""Data-parallel training under torchrun (DDP), and the same code path as a single process without it.

torchrun --nproc_per_node N -m training.train_target ...   # N processes, gloo on CPU, nccl on CUDA
Every process samples its own batches (seeded by rank), gradients are averaged by DDP, and the
wall-clock schedule follows rank 0's clock so that all ranks take the same number of steps.
"""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    device: str = "cpu"

    @property
    def main(self):
        """Only the main process logs, evaluates and writes checkpoints."""
        return self.rank == 0

    @classmethod
    def setup(cls, device: str) -> "Dist":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls(device=device)
        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        if device == "cuda":
            torch.cuda.set_device(local)
            device = f"cuda:{local}"
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        return cls(rank, world, device)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """DDP around a model whose parameters all receive gradients every step; as-is in one process."""
        if self.world == 1:
            return model
        return DistributedDataParallel(model, device_ids=[int(self.device.split(":")[1])] if self.device.startswith("cuda") else None)

    def from_main(self, value: float) -> float:
        """Rank 0's value on every rank (the schedule's progress, so all ranks stop on the same step)."""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.broadcast(t, 0)
        return t.item()

    def close(self):
        if self.world > 1:
            # Rank 0 evaluates and saves after the last step while the others are done: without the barrier a rank
            # could tear down its gloo pairs while rank 0 still holds them, and rank 0 aborted at exit ("terminate
            # called without an active exception"), about one run in six.
            dist.barrier()
            dist.destroy_process_group()


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if isinstance(model, DistributedDataParallel) else model
