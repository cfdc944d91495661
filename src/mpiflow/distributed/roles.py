"""Which rank does what: the one place that maps ranks to roles and addresses.

Examples
--------
>>> role_of(0, 4), role_of(1, 4), role_of(3, 4)
('scheduler', 'client', 'worker')
>>> address(2), rank_of('mpi://2')
('mpi://2', 2)
"""

from __future__ import annotations

__all__ = ["SCHEDULER_RANK", "CLIENT_RANK", "MIN_RANKS", "role_of", "address", "rank_of"]

SCHEDULER_RANK = 0
CLIENT_RANK = 1
MIN_RANKS = 3


def role_of(rank: int, size: int) -> str:
    """Return ``'scheduler'``, ``'client'`` or ``'worker'`` for ``rank`` of ``size``."""
    if size < MIN_RANKS:
        raise RuntimeError(
            f"mpiflow.distributed.initialize() needs at least {MIN_RANKS} MPI processes "
            f"(rank 0 scheduler, rank 1 your script, ranks 2.. workers) but this job has "
            f"{size}. Launch with e.g. `mpiexec -n 4 python script.py` (or `srun -n 4`)."
        )
    if rank == SCHEDULER_RANK:
        return "scheduler"
    if rank == CLIENT_RANK:
        return "client"
    return "worker"


def address(rank: int) -> str:
    """The address of the process on ``rank``, as shown to users."""
    return f"mpi://{rank}"


_ranks: dict[str, int] = {}


def rank_of(addr: str | int) -> int:
    """The rank behind an address (``'mpi://3'``, ``'3'`` or ``3``)."""
    if isinstance(addr, int):
        return addr
    rank = _ranks.get(addr)  # type: ignore[arg-type]
    if rank is not None:
        return rank
    text = str(addr)
    if text.startswith("mpi://"):
        text = text[len("mpi://"):]
    try:
        rank = int(text)
    except ValueError:
        raise ValueError(
            f"{addr!r} is not a worker address of this cluster; addresses look like 'mpi://2'"
        ) from None
    if len(_ranks) < 100_000:
        _ranks[addr] = rank  # type: ignore[index]
    return rank
