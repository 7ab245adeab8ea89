"""Work shared over MPI ranks when a command runs under ``mpiexec`` (optional).

stockopt does not need MPI: without ``mpiexec`` (or without mpi4py, the ``[mpi]`` extra)
``world()`` is None and every helper here runs the work in this process. Under
``mpiexec -n R`` with R > 1, ``map_batches`` gives batch i to rank i mod R and gathers
the results, in batch order, on every rank.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                      "MPI_LOCALNRANKS", "HYDRA_CONTROL_FD")
"""Environment variables that MPICH's hydra, Open MPI or PMIx set in processes they start."""


def under_mpiexec() -> bool:
    """Whether this process was started by an MPI launcher."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def world() -> Any | None:
    """MPI.COMM_WORLD when started by mpiexec with more than one rank, else None."""
    if not under_mpiexec():
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    comm = MPI.COMM_WORLD
    return comm if comm.Get_size() > 1 else None


def is_root(comm: Any | None) -> bool:
    """True on rank 0, and when there is no communicator."""
    return comm is None or comm.Get_rank() == 0


def map_batches(comm: Any | None, n_batches: int, work: Callable[[int], T]) -> list[T]:
    """[work(0), ..., work(n_batches − 1)] on every rank; under MPI batch i runs on rank
    i mod size. An exception on any rank is raised on every rank (the first, by batch)."""
    if comm is None:
        return [work(i) for i in range(n_batches)]
    rank, size = comm.Get_rank(), comm.Get_size()
    mine: list[tuple[int, Any, BaseException | None]] = []
    for i in range(rank, n_batches, size):
        try:
            mine.append((i, work(i), None))
        except Exception as exc:  # noqa: BLE001 - re-raised below, on every rank
            mine.append((i, None, exc))
            break
    gathered = sorted((item for part in comm.allgather(mine) for item in part),
                      key=lambda item: item[0])
    for _i, _value, error in gathered:
        if error is not None:
            raise error
    return [value for _i, value, _error in gathered]
