"""Fixtures for the job-queue tests: a real single-node Slurm on localhost.

``local_slurm`` (session) starts it with ``.ci/slurm.sh up`` unless it already
runs (``.ci/run`` starts it before the tests), and stops it again at the end
only when it started it. It skips only when Slurm cannot be had here (not
root, no apt-get, or ``.ci/run`` said the install failed); as root with
apt-get, a Slurm that does not start is a test error.

``slurm_jobs`` gives each test a :class:`slurm_helpers.JobTracker` whose jobs are
cancelled at teardown. Both live in ``tests/slurm_helpers.py``, shared with
tests/jobscripts. Scripts in ``slurm_scripts/`` and ``jobqueue_scripts/`` run as
their own processes.
"""

from slurm_helpers import local_slurm, slurm_jobs

# conftest.py itself: its doctests would import it as a second module named "conftest"
collect_ignore = ["conftest.py"]
collect_ignore_glob = ["slurm_scripts/*", "jobqueue_scripts/*"]

__all__ = ["local_slurm", "slurm_jobs"]
