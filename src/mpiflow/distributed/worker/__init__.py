"""Worker ranks: run tasks on a thread pool, hold results, serve them to peers."""

from mpiflow.distributed.worker.server import Worker, sizeof

__all__ = ["Worker", "sizeof"]
