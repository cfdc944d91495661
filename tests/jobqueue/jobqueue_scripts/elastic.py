"""The elastic test: 2,000 tasks start on 1 worker job; adapt grows to up to 4 jobs, then
shrinks back to 1 when idle; every result is checked.

argv: job name. Prints the peak number of jobs, the adapt log and 'OK'.
"""

import sys
import threading
import time

from mpiflow.distributed import Client
from mpiflow.jobqueue import SLURMCluster


def work(i):
    time.sleep(0.02)
    return i * i


with SLURMCluster(cores=1, memory="1GB", processes=1, walltime="00:10:00",
                  job_name=sys.argv[1], poll_interval=0.5, dashboard_address=None) as cluster:
    cluster.scale(jobs=1)
    cluster.wait_for_workers(1, timeout=120)
    with Client(cluster) as client:
        adaptive = cluster.adapt(minimum_jobs=1, maximum_jobs=4, interval=0.5, wait_count=3,
                                 target_duration=2.0)
        peak = {"jobs": 1, "workers": 1}
        done = threading.Event()

        def sample():
            while not done.wait(0.2):
                peak["jobs"] = max(peak["jobs"], sum(j.active for j in cluster.jobs.values()))
                peak["workers"] = max(peak["workers"], sum(len(j.workers)
                                                           for j in cluster.jobs.values()))

        threading.Thread(target=sample, daemon=True).start()
        start = time.time()
        futures = client.map(work, range(2000))
        results = client.gather(futures)
        print(f"computed in {time.time() - start:.1f} s", flush=True)
        assert results == [i * i for i in range(2000)], "wrong results"
        # idle now (results still held): adapt shrinks back to the minimum, 1 job
        deadline = time.time() + 90
        # (a job stops counting as active inside the adapt step; the step logs its
        # decision once the step is over: wait for both)
        while (sum(j.active for j in cluster.jobs.values()) > 1
               or not any(d["action"] == "down" for d in adaptive.log)):
            if time.time() > deadline:
                raise TimeoutError(f"adapt did not shrink to 1 job within 90 s: {cluster!r}; "
                                   f"log {adaptive.log}; jobs "
                                   f"{[(j.job_id, j.history) for j in cluster.jobs.values()]}")
            time.sleep(0.2)
        done.set()
        # the data of the retired workers moved to the one that stays
        assert client.gather(futures) == [i * i for i in range(2000)], "lost results"
        # A retired job stops counting as active when its retirement is asked for;
        # the scheduler drops its workers once their data has been copied.
        deadline = time.time() + 30
        while len(client.scheduler_info()["workers"]) != 1:
            if time.time() > deadline:
                raise TimeoutError(f"the scheduler still lists "
                                   f"{sorted(client.scheduler_info()['workers'])} 30 s after "
                                   f"adapt shrank to 1 job: {cluster!r}")
            time.sleep(0.2)
        print("peak jobs", peak["jobs"], "peak workers", peak["workers"], flush=True)
        print("actions", [d["action"] for d in adaptive.log], flush=True)
        for decision in adaptive.log:
            print("decision", {k: decision[k] for k in ("target", "wanted", "jobs", "action",
                                                        "submitted", "closed")}, flush=True)
        for job in cluster.jobs.values():  # why each job is where it is (for a failure)
            print("job", job.job_id, [(round(t - start, 2), state, why)
                                      for t, state, why in job.history], flush=True)
        closed = [j for j in cluster.jobs.values() if j.state == "finished"]
        print("closed ids", " ".join(j.job_id for j in closed), flush=True)
        print("final", repr(cluster), flush=True)
        adaptive.stop()
print("OK", flush=True)
