"""Job parameters (memory, walltime, sizes): read, or refused saying what to write."""

from __future__ import annotations

import pytest

from mpiflow.jobqueue.options import (
    format_walltime,
    parse_memory,
    parse_walltime,
    pbs_memory,
    positive_int,
    slurm_memory,
)
from mpiflow.jobqueue.script import make_options


@pytest.mark.parametrize("text, seconds", [
    ("01:00:00", 3600), ("00:30:00", 1800), ("1-00:00:00", 86400), ("2-12", 216000),
    ("1-02:03", 93780), ("45:30", 2730), ("90", 5400), (90, 5400), (0.5, 30), ("36:00:00", 129600),
])
def test_walltime_forms(text, seconds):
    assert parse_walltime(text) == seconds


@pytest.mark.parametrize("bad", ["1 hour", "01:00:00:00", "1h", "", "-5", "00:61:00", "01:30:75",
                                 0, "00:00:00", True])
def test_malformed_walltime_says_what_was_expected(bad):
    with pytest.raises(ValueError) as info:
        parse_walltime(bad)
    message = str(info.value)
    assert f"walltime={bad!r}" in message
    assert "'HH:MM:SS'" in message and "'D-HH:MM:SS'" in message and "minutes" in message


def test_walltime_is_written_as_hours_minutes_seconds():
    assert format_walltime(parse_walltime("1-00:00:00")) == "24:00:00"
    assert format_walltime(parse_walltime(90)) == "01:30:00"


@pytest.mark.parametrize("text, nbytes", [("64GB", 64 * 10**9), ("60GiB", 60 * 2**30),
                                          ("512MB", 512 * 10**6), (10**9, 10**9)])
def test_memory_forms(text, nbytes):
    assert parse_memory(text) == nbytes


@pytest.mark.parametrize("bad", ["lots", "64 GBs", "12XB", "", 0, "-1GB"])
def test_malformed_memory_says_what_was_expected(bad):
    with pytest.raises(ValueError) as info:
        parse_memory(bad)
    assert f"memory={bad!r}" in str(info.value)
    assert "'64GB'" in str(info.value)


def test_memory_as_the_batch_systems_write_it():
    assert slurm_memory(64 * 10**9) == "61036M"   # MiB, rounded up: never less than asked
    assert slurm_memory(16 * 2**30) == "16G"
    assert pbs_memory(64 * 10**9) == "61036mb"
    assert pbs_memory(2 * 2**30) == "2gb"


def test_sizes_must_be_whole_and_positive():
    assert positive_int("4", "cores") == 4
    for bad in (0, -1, 2.5, "four", None, True):
        with pytest.raises(ValueError, match="expected a whole number of at least 1"):
            positive_int(bad, "processes")


def _options(**kw):
    base = dict(cores=4, memory="8GB", scheduler_file="/s/f.json", log_directory="/s/l",
                kind="SLURMCluster")
    base.update(kw)
    return make_options(**base)


def test_missing_or_inconsistent_job_parameters():
    with pytest.raises(ValueError, match=r"SLURMCluster needs cores= \(cores per job"):
        _options(cores=None)
    with pytest.raises(ValueError, match=r"SLURMCluster needs memory= \(memory per job"):
        _options(memory=None)
    with pytest.raises(ValueError, match="ask for cores >= processes"):
        _options(cores=2, processes=3)
    with pytest.raises(ValueError, match="walltime='soon' is not a walltime"):
        _options(walltime="soon")
    with pytest.raises(ValueError, match="memory='4 jigabytes' is not a size"):
        _options(memory="4 jigabytes")
    with pytest.raises(ValueError, match="job_name='my job': expected a name without spaces"):
        _options(job_name="my job")
    with pytest.raises(TypeError, match="job_extra_directives must be a list of strings"):
        _options(job_extra_directives=[42])


def test_default_processes_follow_the_core_count():
    assert _options(cores=1).processes == 1
    assert _options(cores=4).processes == 4
    opts = _options(cores=32)
    assert (opts.processes, opts.threads) == (8, 4)
    assert _options(cores=32, memory="64GB", processes=4).worker_memory == 16 * 10**9
