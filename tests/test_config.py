"""Configuration precedence: keyword > config.set > environment > file > default."""

from __future__ import annotations

import pytest

import mpiflow
from mpiflow import config


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MPIFLOW_CONFIG", str(path))
    config.refresh()
    yield path
    config.refresh()


def test_defaults():
    assert config.get("multiprocessing.context") == "spawn"
    assert config.get("num_workers") is None


def test_set_as_context_manager_restores():
    with config.set(scheduler="sync"):
        assert config.get("scheduler") == "sync"
        with config.set(scheduler="threads"):
            assert config.get("scheduler") == "threads"
        assert config.get("scheduler") == "sync"
    assert config.get("scheduler") is None


def test_set_globally_and_undo():
    token = config.set(num_workers=3)
    try:
        assert config.get("num-workers") == 3
    finally:
        token.__exit__(None, None, None)
    assert config.get("num_workers") is None


def test_environment(monkeypatch):
    monkeypatch.setenv("MPIFLOW_NUM_WORKERS", "5")
    monkeypatch.setenv("MPIFLOW_TOKENIZE_ENSURE_DETERMINISTIC", "true")
    assert config.get("num_workers") == 5
    assert config.get("tokenize.ensure-deterministic") is True
    with config.set(num_workers=2):
        assert config.get("num_workers") == 2
    assert config.get("num_workers", override=7) == 7


def test_file(config_file, monkeypatch):
    config_file.write_text('scheduler = "sync"\n[multiprocessing]\ncontext = "forkserver"\n')
    assert config.get("scheduler") == "sync"
    assert config.get("multiprocessing.context") == "forkserver"
    monkeypatch.setenv("MPIFLOW_SCHEDULER", "threads")
    assert config.get("scheduler") == "threads"


def test_bad_file_says_where(config_file):
    config_file.write_text("scheduler = \n")
    with pytest.raises(ValueError, match="config.toml is not valid TOML"):
        config.get("scheduler")


def test_unknown_name_lists_known():
    with pytest.raises(KeyError, match="unknown mpiflow configuration 'no-such'.*scheduler"):
        config.get("no_such")


def test_dask_spelling_alias():
    with config.set(delayed_pure=True):
        assert config.get("delayed.pure") is True


def test_environment_chooses_scheduler(monkeypatch):
    calls = []

    def my_get(dsk, keys, **kwargs):
        calls.append(keys)
        return mpiflow.get(dsk, keys)

    monkeypatch.setenv("MPIFLOW_SCHEDULER", "sync")
    assert mpiflow.delayed(abs)(-1).compute() == 1
    with config.set(scheduler=my_get):
        assert mpiflow.delayed(abs)(-2).compute() == 2
    assert len(calls) == 1
