import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Tiny ops: a second OpenMP thread only spins against the other jobs on a shared CPU (10x slower here)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
