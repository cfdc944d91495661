"""Joining a running cluster through its MPI port (both sides of the handshake).

A process outside the cluster's launch (a client in a notebook, the workers
of a job submitted later) joins like this:

1. it reads the scheduler file and checks that the scheduler is alive
   (:func:`~mpiflow.distributed.scheduler_file.read_scheduler_file`);
2. it starts ``Comm.Connect(port)`` on a helper thread, collective over its
   own communicator (``COMM_SELF`` for a client, the job's ``COMM_WORLD``
   for workers), then drops a *knock* file so the scheduler knows someone
   is connecting;
3. the scheduler sees the knock, tells every live member of the cluster to
   accept, and all of them call ``Accept`` together (:func:`accept_join`):
   MPICH has no non-blocking accept, and a rank blocked in ``Accept`` can do
   nothing else, so nobody accepts unless a connection is on its way;
4. the joiner's root sends the token from the scheduler file; the
   scheduler's verdict goes back to it; on refusal both sides disconnect;
5. otherwise both sides merge the new intercommunicator into one
   communicator (members keep their order, the joiners come last) and the
   scheduler sends each joiner the table of process ids. Every process then
   talks to the joiners on that communicator, and to older peers on the
   communicators it already had (see ``MPIEndpoint.add_comm``).

Examples
--------
>>> JOIN_TAG
2
"""

from __future__ import annotations

import contextlib
import hmac
import os
import socket
import threading
import time
from typing import Any

from mpiflow.distributed.scheduler_file import join_lock, write_knock

__all__ = ["JOIN_TAG", "JoinRefused", "accept_join", "connect_to_cluster", "on_accept_join"]

#: Tag of the handshake messages (token, verdict, id table); below the data tags.
JOIN_TAG = 2
#: Seconds between starting Connect and dropping the knock, so the request is in flight.
KNOCK_DELAY = 0.05


class JoinRefused(PermissionError):
    """The cluster refused to let this process join (wrong token)."""


def accept_join(endpoint: Any, port: str | None, members: list[int], new_ids: list[int],
                token: str | None, root_id: int = 0) -> bool:
    """Accept one joining job, collectively over the live ``members`` of the cluster.

    Every member calls this at the same time (the scheduler tells them to).
    The root (``root_id``, the scheduler) passes the port and the token it
    expects. Returns whether the joiner was admitted; on admission the
    endpoint can reach the joiners as ``new_ids``.

    Examples
    --------
    >>> accept_join(endpoint, port, [0, 1, 2], [3], token)  # doctest: +SKIP
    True
    """

    def run(ep: Any) -> bool:
        latest, ids = ep.latest_comm()
        ranks = sorted(ids.index(i) for i in members)
        if len(ranks) == latest.Get_size():
            acc = latest
        else:
            group = latest.Get_group()
            sub = group.Incl(ranks)
            acc = latest.Create_group(sub)
            sub.Free()
            group.Free()
        acc_ids = [ids[r] for r in ranks]
        root = acc_ids.index(root_id)
        is_root = ep.rank == root_id
        inter = acc.Accept(port if is_root else None, root=root)
        verdict = None
        if is_root:
            presented = inter.recv(source=0, tag=JOIN_TAG)
            verdict = isinstance(presented, str) and hmac.compare_digest(presented, token or "")
            inter.send(verdict, dest=0, tag=JOIN_TAG)
        verdict = acc.bcast(verdict, root=root)
        if not verdict:
            inter.Disconnect()
        else:
            merged = inter.Merge(high=False)
            table = acc_ids + list(new_ids)
            if is_root:
                for j in range(len(new_ids)):
                    merged.send(table, dest=len(acc_ids) + j, tag=JOIN_TAG)
            inter.Free()
            ep.add_comm(merged, table)
        if acc is not latest:
            acc.Free()
        return bool(verdict)

    return endpoint.collective(run)


def on_accept_join(transport: Any, msg: dict) -> None:
    """A member's handler for the scheduler's ``accept-join`` message.

    Examples
    --------
    >>> on_accept_join(transport, {'members': [0, 1], 'new_ids': [2], 'from': 0})  # doctest: +SKIP
    """
    accept_join(transport.endpoint, None, msg["members"], msg["new_ids"], None,
                root_id=msg["from"])


def connect_to_cluster(info: dict, comm: Any, role: str, timeout: float = 60.0,
                       **knock_extra: Any) -> tuple[Any, list[int]]:
    """Join the cluster of scheduler file ``info``; collective over ``comm``.

    Returns the merged communicator and the process id of each of its ranks.
    Raises :class:`JoinRefused` for a wrong token and ``TimeoutError`` when
    the scheduler does not accept within ``timeout`` seconds. Joiners take
    turns (the root holds the join lock while it connects).

    Examples
    --------
    >>> from mpi4py import MPI                                     # doctest: +SKIP
    >>> info = read_scheduler_file('scheduler.json')               # doctest: +SKIP
    >>> comm, ids = connect_to_cluster(info, MPI.COMM_SELF, 'client')  # doctest: +SKIP
    """
    if comm.Get_rank() != 0:
        return _connect(info, comm, role, timeout, knock_extra)
    with join_lock(info, timeout):
        return _connect(info, comm, role, timeout, knock_extra)


def _connect(info: dict, comm: Any, role: str, timeout: float,
             knock_extra: dict) -> tuple[Any, list[int]]:
    from mpiflow.distributed.comm.mpi import import_mpi

    MPI = import_mpi()
    result: dict[str, Any] = {}
    mpi_info = MPI.Info.Create()
    mpi_info.Set("timeout", str(int(timeout) + 5))

    def connect() -> None:
        try:
            result["inter"] = comm.Connect(info["port"], mpi_info, root=0)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
            result["error"] = exc

    thread = threading.Thread(target=connect, name="mpiflow-join-connect", daemon=True)
    thread.start()
    knock = None
    if comm.Get_rank() == 0:
        time.sleep(KNOCK_DELAY)  # let the connect request leave before the scheduler looks
        knock = write_knock(info, {"role": role, "nprocs": comm.Get_size(), "pid": os.getpid(),
                                   "host": socket.gethostname(), **knock_extra})
    thread.join(timeout)
    if knock is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(knock)
    mpi_info.Free()
    if thread.is_alive() or "error" in result:
        why = (f"{type(result['error']).__name__}: {result['error']}" if "error" in result
               else f"no answer within {timeout:g} s")
        raise TimeoutError(
            f"could not join the mpiflow cluster at {info.get('address')} (scheduler pid "
            f"{info.get('pid')} on {info.get('host')}): {why}. Is the cluster still running "
            "and is its knock directory on a file system both sides see?"
        )
    inter = result["inter"]
    verdict = None
    if comm.Get_rank() == 0:
        inter.send(info["token"], dest=0, tag=JOIN_TAG)
        verdict = inter.recv(source=0, tag=JOIN_TAG)
    verdict = comm.bcast(verdict, root=0)
    if not verdict:
        inter.Disconnect()
        raise JoinRefused(
            f"the mpiflow cluster at {info.get('address')} refused the token of the scheduler "
            "file; the file does not belong to this cluster (was it rewritten by a newer "
            "cluster?). Read the scheduler file the running cluster wrote."
        )
    merged = inter.Merge(high=True)
    table = merged.recv(source=MPI.ANY_SOURCE, tag=JOIN_TAG)
    inter.Free()
    return merged, table
