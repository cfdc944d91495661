"""A few bag workloads under the process scheduler (the default); kept small."""

from __future__ import annotations

from collections import Counter
from operator import add

import mpiflow
import mpiflow.bag as db


def test_default_scheduler_word_count_and_groupby(tmp_path):
    lines = [f"w{i % 5} w{i % 3} salt-{i % 2}\n" for i in range(40)]
    for i in range(2):
        (tmp_path / f"f{i}.txt").write_text("".join(lines[i * 20 : (i + 1) * 20]))
    b = db.read_text(str(tmp_path / "*.txt"))
    words = b.str.split().flatten()
    expected = Counter(w for line in lines for w in line.split())
    freq, top, n = mpiflow.compute(
        words.frequencies(), words.frequencies().topk(2, key=1), words.count(), num_workers=2
    )
    assert dict(freq) == expected
    assert [c for _, c in top] == [c for _, c in expected.most_common(2)]
    assert n == 120
    # string keys hash alike in every worker process: each key lands in one partition
    groups = words.groupby(lambda w: w, npartitions=3).compute(num_workers=2)
    assert {k: len(v) for k, v in groups} == expected
    assert len(groups) == len(expected)


def test_processes_map_fold_take_and_item():
    b = db.from_sequence(range(30), npartitions=3)
    s = b.map(lambda x: x * x).filter(lambda x: x % 2)
    assert s.compute(scheduler="processes", num_workers=2) == [
        x * x for x in range(30) if x * x % 2
    ]
    assert b.fold(add).compute(num_workers=2) == sum(range(30))
    assert (b.sum() + b.count()).compute(num_workers=2) == sum(range(30)) + 30
    assert b.map(str).take(3, num_workers=2) == ("0", "1", "2")


def test_every_operation_in_one_process_run():
    """One compute call (one pool round) covering the operations, checked against Python."""
    import itertools
    import statistics

    data = [(i % 4, i, f"W{i % 3} x") for i in range(24)]
    b = db.from_sequence(data, npartitions=4)
    nums = b.pluck(1)
    words = b.pluck(2).str.lower().str.split().flatten()
    checks = {
        "map": (nums.map(lambda x: x + 1), [x + 1 for _, x, _ in data]),
        "starmap": (b.starmap(lambda k, x, s: k * x), [k * x for k, x, _ in data]),
        "remove": (nums.remove(lambda x: x % 3), [x for _, x, _ in data if not x % 3]),
        "map_partitions": (nums.map_partitions(lambda p: [len(p)]), [6, 6, 6, 6]),
        "zip": (db.zip(nums, nums), [(x, x) for _, x, _ in data]),
        "concat": (db.concat([nums, db.range(2, npartitions=1)]), [*range(24), 0, 1]),
        "match": (b.pluck(2).str.match("W1*"), [s for _, _, s in data if s.startswith("W1")]),
        "foldby": (b.foldby(0, lambda acc, t: acc + t[1], 0, add, 0), None),
        "distinct": (words.distinct(), ["w0", "x", "w1", "w2"]),
        "topk": (nums.topk(2), [23, 22]),
        "min": (nums.min(), 0),
        "max": (nums.max(), 23),
        "mean": (nums.mean(), statistics.fmean(range(24))),
        "var": (nums.var(), statistics.pvariance(range(24))),
        "std": (nums.std(ddof=1), statistics.stdev(range(24))),
        "any": (nums.map(lambda x: x > 22).any(), True),
        "all": (nums.all(), False),
        "accumulate": (nums.accumulate(add), list(itertools.accumulate(range(24)))),
        "join": (nums.join([3, 5], lambda x: x), [(3, 3), (5, 5)]),
        "product": (db.from_sequence([1, 2]).product(db.from_sequence("ab")), None),
        "repartition": (nums.repartition(3), list(range(24))),
    }
    computed = mpiflow.compute(*[c for c, _ in checks.values()], num_workers=2)
    results = dict(zip(checks, computed, strict=True))
    for name, (_, expected) in checks.items():
        if expected is not None:
            assert results[name] == expected, name
    sums: dict = {}
    for k, x, _ in data:
        sums[k] = sums.get(k, 0) + x
    assert dict(results["foldby"]) == sums
    assert sorted(results["product"]) == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]


def test_text_roundtrip_blocks_and_delayed_under_processes(tmp_path):
    from mpiflow.delayed import delayed

    lines = [f"{i}-{'y' * (i % 5)}" for i in range(30)]
    b = db.from_sequence(lines, npartitions=3)
    out = b.to_textfiles(str(tmp_path / "f-*.txt.gz"), last_endline=True, num_workers=2)
    assert len(out) == 3
    back = db.read_text(str(tmp_path / "f-*.txt.gz")).map(str.rstrip)
    plain = b.to_textfiles(str(tmp_path / "p-*.txt"), last_endline=True, num_workers=2)
    blocks = db.read_text(plain, blocksize=40).map(str.rstrip)
    parts = db.from_delayed([delayed(list)(range(i)) for i in range(3)])
    sample = b.random_sample(0.5, random_state=7)
    got = mpiflow.compute(back, blocks, parts, sample, num_workers=2)
    assert got[0] == lines and got[1] == lines and got[2] == [0, 0, 1]
    assert got[3] == sample.compute(scheduler="sync")
