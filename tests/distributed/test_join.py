"""Joining a running cluster: ``mpiflow cluster``, scheduler files, plain-python clients.

Every test starts real processes: the cluster under ``mpiexec``, clients as
plain ``python`` processes, extra workers as their own ``mpiexec`` job.
Timeouts only turn a hang into a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC, SRC

from mpiflow.distributed.scheduler_file import SchedulerFileError, read_scheduler_file

SCRIPTS = Path(__file__).parent / "join_scripts"
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def _env(**extra: str) -> dict:
    env = dict(os.environ, UCX_LOG_LEVEL="error", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    for var in ("PMI_PORT", "PMI_ID", "PMI_HOSTNAME", "PMI_RANK", "PMI_SIZE", "PMI_FD"):
        env.pop(var, None)
    return env


def start(args: list[str], n: int | None = None) -> subprocess.Popen:
    """Start ``python -m mpiflow ...`` (under ``mpiexec -n n`` when ``n`` is given)."""
    cmd = [sys.executable, "-m", "mpiflow", *args]
    if n is not None:
        cmd = [MPIEXEC, "-n", str(n), *cmd]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), start_new_session=True)


def run_client(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True,
                          text=True, timeout=timeout, env=_env())


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"process did not exit within {timeout} s:\n{out}\n{err}")
    return proc.returncode, out, err


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip().endswith("OK"), proc.stdout
    return proc.stdout


@pytest.fixture
def cluster(tmp_path):
    """``mpiexec -n 2 mpiflow cluster``: a scheduler and one worker, until stopped."""
    path = tmp_path / "scheduler.json"
    proc = start(["cluster", "--scheduler-file", str(path), "--nthreads", "2"], n=2)
    deadline = time.monotonic() + 60
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"cluster did not start:\n{proc.communicate()}")
        time.sleep(0.05)
    yield path, proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_scheduler_file_is_private_and_describes_the_cluster(cluster):
    path, _ = cluster
    assert path.stat().st_mode & 0o777 == 0o600
    info = json.loads(path.read_text())
    assert {"port", "token", "dashboard", "address"} <= set(info)
    assert len(info["token"]) == 32


def test_plain_python_clients_join_in_turn_and_last_one_stops_the_cluster(cluster):
    path, proc = cluster
    # two clients at once, then one after another: every one gets its own identity
    first = [subprocess.Popen([sys.executable, str(SCRIPTS / "client.py"), str(path), "close"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env()) for _ in range(2)]
    for p in first:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip().endswith("OK"), f"{out}\n{err}"
    ok(run_client("client.py", str(path), "exit"))
    ok(run_client("client.py", str(path), "shutdown"))
    code, out, err = finish(proc)
    assert code == 0, f"{out}\n{err}"
    assert not path.exists(), "the cluster left its scheduler file behind"


def test_worker_job_joins_and_exchanges_data_with_launch_workers(cluster):
    path, proc = cluster
    extra = start(["worker", "--scheduler-file", str(path), "--nthreads", "1"], n=2)
    out = ok(run_client("worker_placement.py", str(path), "3"))
    # the launch's worker is mpi://1; joiners get the next ids in the order they join
    assert out.count("'mpi://") == 3 and "'mpi://1'" in out, out
    ok(run_client("client.py", str(path), "shutdown", "3"))
    for p in (proc, extra):
        code, pout, perr = finish(p)
        assert code == 0, f"{pout}\n{perr}"


def test_wrong_token_is_refused_and_the_cluster_goes_on(cluster, tmp_path):
    path, _ = cluster
    info = json.loads(path.read_text())
    info["token"] = "0" * 32
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(info))
    proc = run_client("wrong_token.py", str(forged))
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "refused the token" in proc.stdout
    ok(run_client("client.py", str(path), "close"))


def test_sigterm_stops_the_cluster_cleanly(cluster):
    path, proc = cluster
    os.killpg(proc.pid, signal.SIGTERM)
    code, out, err = finish(proc)
    assert code == 0, f"{out}\n{err}"
    assert not path.exists()


# -- bad scheduler files: clear errors before any MPI call ------------------------------
def test_missing_scheduler_file(tmp_path):
    with pytest.raises(SchedulerFileError, match="no scheduler file at .*mpiflow cluster"):
        read_scheduler_file(str(tmp_path / "nope.json"))


def test_unreadable_and_malformed_scheduler_files(tmp_path):
    with pytest.raises(SchedulerFileError, match="cannot read the scheduler file"):
        read_scheduler_file(str(tmp_path))  # a directory
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SchedulerFileError, match="is not an mpiflow scheduler file"):
        read_scheduler_file(str(bad))
    no_token = tmp_path / "no_token.json"
    no_token.write_text(json.dumps({"port": "p", "alive": "a", "knock": "k", "pid": 1,
                                    "host": "h"}))
    with pytest.raises(SchedulerFileError, match="not an mpiflow scheduler file .*'token'"):
        read_scheduler_file(str(no_token))


def test_stale_scheduler_files(tmp_path):
    from mpiflow.distributed.scheduler_file import write_scheduler_file

    path = str(tmp_path / "s.json")
    info = write_scheduler_file(path, "port", "token")
    old = time.time() - 3600
    os.utime(info["alive"], (old, old))
    with pytest.raises(SchedulerFileError, match="has not shown a sign of life for 3600 s"):
        read_scheduler_file(path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    info["pid"] = int(dead)
    Path(path).write_text(json.dumps(info))
    with pytest.raises(SchedulerFileError, match=f"pid {dead} .* is gone"):
        read_scheduler_file(path)


def test_client_on_a_stale_file_fails_fast_without_touching_mpi(tmp_path):
    """A killed cluster leaves its file; a client says so within seconds."""
    path = tmp_path / "scheduler.json"
    proc = start(["cluster", "--scheduler-file", str(path)], n=2)
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = json.loads(path.read_text())["pid"]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30  # the ranks die just after mpiexec (own sessions)
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-c", "import sys; from mpiflow.distributed import Client; "
         "Client(scheduler_file=sys.argv[1])", str(path)],
        capture_output=True, text=True, timeout=60, env=_env())
    assert res.returncode != 0
    assert "is stale" in res.stderr, res.stderr
    assert "mpi4py" not in res.stderr
    assert time.monotonic() - t0 < 30


def test_pbs_cluster_jobscript_runs_here_and_stops_on_shutdown(tmp_path):
    """jobscripts/pbs-cluster.sh, with a node file of this host standing in for PBS's."""
    nodefile = tmp_path / "nodes"
    nodefile.write_text("localhost\n" * 3)
    path = tmp_path / "sched.json"
    env = _env(PBS_NODEFILE=str(nodefile), PBS_O_WORKDIR=str(tmp_path),
               SCHEDULER_FILE=str(path),
               PATH=os.pathsep.join([str(Path(MPIEXEC).parent), os.environ["PATH"]]))
    script = Path(__file__).resolve().parents[2] / "jobscripts" / "pbs-cluster.sh"
    job = subprocess.Popen(["bash", str(script)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline and job.poll() is None:
        time.sleep(0.05)
    ok(run_client("client.py", str(path), "shutdown", "2"))
    code, out, err = finish(job)
    assert code == 0, f"{out}\n{err}"

