"""Tests for mpiflow.core.tokenize."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import functools
import json
import operator
import os
import re
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpiflow import config
from mpiflow.core.spec import get_dependencies
from mpiflow.core.tokenize import normalize_token, tokenize


def inc(x):
    return x + 1


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm(self):
        return (self.x**2 + self.y**2) ** 0.5


class Color(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass
class Box:
    w: int
    items: list


def test_token_is_32_hex_and_stable():
    t = tokenize("x", 1, [2, 3])
    assert re.fullmatch(r"[0-9a-f]{32}", t)
    assert t == tokenize("x", 1, [2, 3])


def test_distinct_types_give_distinct_tokens():
    values = [1, 1.0, True, "1", b"1", 1 + 0j, np.int64(1), np.float64(1.0), (1,), [1], {1}]
    assert len({tokenize(v) for v in values}) == len(values)
    assert tokenize(0.0) != tokenize(-0.0)
    assert tokenize(float("nan")) == tokenize(float("nan"))
    assert tokenize(None) != tokenize("None")
    assert tokenize(("a", "b")) != tokenize("('a', 'b')")


def test_args_and_kwargs():
    assert tokenize(inc, 1, x=2) != tokenize(inc, 1)
    assert tokenize(inc, 1, x=2) != tokenize(inc, 1, 2)
    assert tokenize(inc, 1, x=2) != tokenize(inc, 1, y=2)
    assert tokenize(a=1, b=2) == tokenize(b=2, a=1)
    assert tokenize(1, 2) != tokenize((1, 2))
    assert tokenize() == tokenize()


def test_containers():
    assert tokenize({"a": 1, "b": 2}) == tokenize({"b": 2, "a": 1})
    assert tokenize({1: "x", "y": 2}) == tokenize({"y": 2, 1: "x"})  # unsortable keys
    assert tokenize({"a": 1}) != tokenize({"a": 2}) != tokenize({"b": 1})
    assert tokenize({3, 1, "z"}) == tokenize({"z", 1, 3})
    assert tokenize(frozenset({1})) != tokenize({1})
    od1 = collections.OrderedDict([("a", 1), ("b", 2)])
    od2 = collections.OrderedDict([("b", 2), ("a", 1)])
    assert tokenize(od1) != tokenize(od2)
    assert tokenize(od1) != tokenize(dict(od1))
    nested = [1, {"k": (2, [3, {4, 5}])}, "s"]
    changed = [1, {"k": (2, [3, {4, 6}])}, "s"]
    assert tokenize(nested) != tokenize(changed)
    assert tokenize([1, 2]) != tokenize((1, 2))
    dd_int = collections.defaultdict(int, a=1)
    assert tokenize(dd_int) != tokenize(collections.defaultdict(list, a=1))
    assert tokenize(dd_int) == tokenize(collections.defaultdict(int, a=1))
    assert tokenize(slice(1, 5)) != tokenize(slice(1, 6))
    assert tokenize(range(3)) != tokenize(range(4))
    assert tokenize(...) != tokenize(None)
    assert tokenize(int) != tokenize(float)


def test_self_referential_containers():
    a = [1, 2]
    a.append(a)
    b = [1, 2]
    b.append(b)
    assert tokenize(a) == tokenize(b)
    assert tokenize(a) != tokenize([1, 2, []])
    d = {"x": 1}
    d["self"] = d
    assert tokenize(d) == tokenize(d)
    # mutual recursion through an object
    p = Point(1, None)
    p.y = [p]
    assert tokenize(p) == tokenize(p)


def test_deterministic_for_equal_objects_built_separately():
    assert tokenize(Point(1, 2)) == tokenize(Point(1, 2))
    assert tokenize(Point(1, 2)) != tokenize(Point(2, 1))
    assert tokenize(Box(1, [2])) == tokenize(Box(1, [2])) != tokenize(Box(1, [3]))
    assert tokenize(Color.RED) == tokenize(Color.RED) != tokenize(Color.BLUE)
    assert tokenize(datetime.date(2020, 1, 1)) != tokenize(datetime.date(2020, 1, 2))


def test_numpy_arrays():
    x = np.arange(1000, dtype="f8")
    y = x.copy()
    assert tokenize(x) == tokenize(y)
    y[500] = -1
    assert tokenize(x) != tokenize(y)
    assert tokenize(x) != tokenize(x.astype("f4"))
    assert tokenize(x) != tokenize(x.reshape(10, 100))
    # value semantics: layout does not matter
    m = np.arange(12).reshape(3, 4)
    assert tokenize(np.asfortranarray(m)) == tokenize(m)
    assert tokenize(m[:, ::2]) == tokenize(m[:, ::2].copy())
    assert tokenize(m[:, ::2]) != tokenize(m[:, 1::2])
    obj = np.array([1, "a", None], dtype=object)
    assert tokenize(obj) == tokenize(np.array([1, "a", None], dtype=object))
    assert tokenize(obj) != tokenize(np.array([1, "b", None], dtype=object))
    dt = np.array(["2020-01-01", "2021-01-01"], dtype="M8[ns]")
    assert tokenize(dt) != tokenize(dt.astype("M8[s]"))
    assert tokenize(np.array(5)) != tokenize(np.array([5]))
    masked = np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
    assert tokenize(masked) != tokenize(np.ma.masked_array([1, 2, 3], mask=[0, 0, 0]))


def test_numpy_scalars_dtypes_random():
    assert tokenize(np.float64(1.5)) == tokenize(np.float64(1.5)) != tokenize(np.float32(1.5))
    assert tokenize(np.dtype("f8")) != tokenize(np.dtype(">f8"))
    assert tokenize(np.dtype([("a", "i4")])) != tokenize(np.dtype([("b", "i4")]))
    g1, g2 = np.random.default_rng(42), np.random.default_rng(42)
    assert tokenize(g1) == tokenize(g2)
    g1.random()
    assert tokenize(g1) != tokenize(g2)
    r1, r2 = np.random.RandomState(0), np.random.RandomState(0)
    assert tokenize(r1) == tokenize(r2)
    r1.random_sample()
    assert tokenize(r1) != tokenize(r2)
    assert tokenize(np.sum) != tokenize(np.mean)
    assert tokenize(np.add) != tokenize(np.subtract)


def test_memmap_uses_file_metadata_not_data(tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(2**30)  # 1 GiB sparse file: never read
    mm = np.memmap(path, dtype="u1", mode="r", shape=(2**30,))
    token = tokenize(mm)
    assert tokenize(mm) == token
    assert tokenize(mm[:10]) != tokenize(mm[10:20])
    assert tokenize(mm[:10]) == tokenize(mm[:10])
    assert tokenize(mm[::2]) != tokenize(mm[: 2**29])
    stat = os.stat(path)
    # change the data but restore mtime and size: the token must not change
    with open(path, "r+b") as f:
        f.seek(12345)
        f.write(b"\x01")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert tokenize(mm) == token
    # a new modification time changes the token
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert tokenize(mm) != token
    del mm


def test_memmap_copy_on_write_is_hashed_by_value(tmp_path):
    path = tmp_path / "small.bin"
    np.arange(10, dtype="i8").tofile(path)
    mm = np.memmap(path, dtype="i8", mode="c", shape=(10,))
    before = tokenize(mm)
    mm[0] = 99  # private change, file untouched
    assert tokenize(mm) != before
    del mm


def test_pandas_objects():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, None, 1.5]})
    assert tokenize(df) == tokenize(df.copy())
    variants = [
        df.assign(a=[1, 2, 4]),
        df.assign(b=["x", "y", "w"]),
        df.rename(columns={"a": "A"}),
        df.set_index(pd.Index([7, 8, 9])),
        df.astype({"a": "i4"}),
        df[["b", "a", "c"]],
    ]
    tokens = {tokenize(df)} | {tokenize(v) for v in variants}
    assert len(tokens) == len(variants) + 1
    s = pd.Series([1.0, 2.0], name="s")
    assert tokenize(s) == tokenize(s.copy()) != tokenize(s.rename("t"))
    assert tokenize(pd.Index(["a", "b"])) != tokenize(pd.Index(["a", "c"]))
    assert tokenize(pd.Index([1, "1"], dtype=object)) != tokenize(
        pd.Index(["1", "1"], dtype=object)
    )
    mi = pd.MultiIndex.from_product([[1, 2], ["a", "b"]], names=["n", "l"])
    assert tokenize(mi) == tokenize(mi.copy()) != tokenize(mi.set_names(["n", "m"]))
    cat = pd.Categorical(["u", "v", "u"])
    assert tokenize(cat) != tokenize(pd.Categorical(["u", "v", "v"]))
    assert tokenize(cat) != tokenize(pd.Categorical(["u", "v", "u"], ordered=True))
    assert tokenize(pd.array([1, None])) != tokenize(pd.array([1, 0]))
    assert tokenize(pd.Timestamp("2020-01-01")) != tokenize(pd.Timestamp("2020-01-01", tz="UTC"))
    assert tokenize(pd.Timedelta("1D")) != tokenize(pd.Timedelta("2D"))
    assert tokenize(pd.Interval(0, 1)) != tokenize(pd.Interval(0, 1, closed="left"))
    assert tokenize(pd.Period("2020-01", "M")) != tokenize(pd.Period("2020-01", "D"))
    assert tokenize(pd.CategoricalDtype(["a"])) != tokenize(pd.CategoricalDtype(["b"]))
    assert tokenize(pd.Int64Dtype()) != tokenize(pd.Float64Dtype())
    assert tokenize(pd.NaT) == tokenize(pd.NaT)
    tz = pd.Series(pd.date_range("2020", periods=3, tz="UTC"))
    assert tokenize(tz) != tokenize(tz.dt.tz_convert("Europe/Berlin"))


def make_adder(n):
    return lambda x: x + n


def test_functions():
    assert normalize_token(inc)[1] == (__name__, "inc")
    assert tokenize(inc) == tokenize(inc) != tokenize(operator.add)
    assert tokenize(make_adder(1)) == tokenize(make_adder(1))
    assert tokenize(make_adder(1)) != tokenize(make_adder(2))
    assert tokenize(lambda x: x + 1) == tokenize(lambda x: x + 1)
    assert tokenize(lambda x: x + 1) != tokenize(lambda x: x + 2)

    def local(x):
        return x * 2

    assert tokenize(local) != tokenize(inc)
    p = functools.partial(operator.add, 1)
    assert tokenize(p) == tokenize(functools.partial(operator.add, 1))
    assert tokenize(p) != tokenize(functools.partial(operator.add, 2))
    assert tokenize(p) != tokenize(functools.partial(operator.add, 1, b=2))
    assert tokenize(len) != tokenize(sum)
    assert tokenize([].append) == tokenize([].append) != tokenize([1].append)
    assert tokenize(str.upper) != tokenize(str.lower)
    assert tokenize(Point(1, 2).norm) != tokenize(Point(2, 2).norm)
    assert tokenize(Point) != tokenize(Box)


def test_code_cache_follows_redefinitions_and_frees_entries():
    """Code objects are hashed once and cached; a redefined body still changes
    the token, a changed global still does, and dead code leaves the cache."""
    import gc

    tok = sys.modules["mpiflow.core.tokenize_callables"]

    namespace: dict = {"SCALE": 2}
    before = len(tok._code_cache)
    tokens = set()
    for body in ("x + 1", "x + 2", "x * SCALE"):
        exec(f"def f(x):\n    return {body}\n", namespace)
        tokens.add(tokenize(namespace["f"]))
    assert len(tokens) == 3
    first = tokenize(namespace["f"])
    namespace["SCALE"] = 3  # same code, a global it reads changed
    assert tokenize(namespace["f"]) != first
    del namespace["f"]
    gc.collect()
    assert len(tok._code_cache) <= before + 1  # only code still alive is kept


def test_function_tokens_follow_what_the_function_reads():
    """Functions are remembered while all they read is immutable and unchanged;
    every change below must still change the token."""
    import gc

    tok = sys.modules["mpiflow.core.tokenize_callables"]
    ns: dict = {"np": np, "LIMIT": 3, "TABLE": [1, 2]}
    exec(textwrap.dedent("""
        def scaled(x, factor=2):
            return np.minimum(x * factor, LIMIT)

        def lookup(i):
            return TABLE[i]

        def helper(x):
            return x + LIMIT

        def outer(x):
            return helper(x)

        def counter():
            count = 0
            def bump():
                return count + 1
            def set_count(n):
                nonlocal count
                count = n
            return bump, set_count
    """), ns)
    scaled = ns["scaled"]
    first = tokenize(scaled)
    assert tokenize(scaled) == first and id(scaled) in tok._function_cache
    ns["LIMIT"] = 4  # a global it reads is rebound
    assert tokenize(scaled) != first
    ns["LIMIT"] = 3
    assert tokenize(scaled) == first
    scaled.__defaults__ = (5,)
    assert tokenize(scaled) != first
    scaled.__defaults__ = (2,)
    ns["minimum"] = 1  # a new global named like a name its code uses: counted
    assert tokenize(scaled) != first
    del ns["minimum"]
    assert tokenize(scaled) == first

    lookup = ns["lookup"]
    before = tokenize(lookup)
    ns["TABLE"].append(3)  # mutated in place: never cached, so still seen
    assert tokenize(lookup) != before and id(lookup) not in tok._function_cache

    outer = ns["outer"]
    before = tokenize(outer)
    ns["LIMIT"] = 10  # read by a function it calls
    assert tokenize(outer) != before

    bump, set_count = ns["counter"]()
    before = tokenize(bump)
    set_count(5)  # the captured cell now holds another value
    assert tokenize(bump) != before

    ident = id(scaled)
    del scaled, ns["scaled"]
    gc.collect()
    assert ident not in tok._function_cache


def test_recursive_local_function():
    def fact(n):
        return 1 if n < 2 else n * fact(n - 1)

    assert tokenize(fact) == tokenize(fact)


def test_local_classes():
    def make():
        class Local:
            def __init__(self, v):
                self.v = v

            def get(self):
                return super().__repr__()

        return Local

    a, b = make(), make()
    assert tokenize(a(1)) == tokenize(b(1)) != tokenize(a(2))


def test_mpiflow_tokenize_protocol():
    class Handle:
        def __init__(self, name):
            self.name = name
            self.lock = threading.Lock()

        def __mpiflow_tokenize__(self):
            return self.name

    assert tokenize(Handle("a")) == tokenize(Handle("a")) != tokenize(Handle("b"))
    assert tokenize(Handle("a")) != tokenize("a")  # tagged with the class
    with config.set({"tokenize.ensure-deterministic": True}):
        tokenize(Handle("a"))


def test_register_handler():
    class Opaque:
        def __init__(self, v):
            self.v = v
            self.lock = threading.Lock()

    assert tokenize(Opaque(1)) != tokenize(Opaque(1))  # random: has a lock
    normalize_token.register(Opaque, lambda o: o.v)
    assert normalize_token.dispatch(Opaque)(Opaque(3)) == 3
    assert tokenize(Opaque(1)) == tokenize(Opaque(1)) != tokenize(Opaque(2))


def test_ensure_deterministic():
    lock = threading.Lock()
    assert tokenize(lock) != tokenize(lock)  # random uuid fallback
    with config.set({"tokenize.ensure-deterministic": True}):
        with pytest.raises(TypeError, match=r"_thread\.lock.*__mpiflow_tokenize__"):
            tokenize([1, {"k": lock}])
        assert tokenize(1, "a") == tokenize(1, "a")
        tokenize(lock, ensure_deterministic=False)
    with pytest.raises(TypeError, match="normalize_token.register"):
        tokenize(lock, ensure_deterministic=True)
    holder = Point(1, lock)  # the error names the user's class
    with pytest.raises(TypeError, match=r"test_tokenize\.Point") as info:
        tokenize(holder, ensure_deterministic=True)
    assert "_thread.lock" in str(info.value.__cause__)


def test_importing_tokenize_does_not_import_pandas():
    code = textwrap.dedent(
        """
        import sys
        import mpiflow
        if "pandas" in sys.modules:
            print("skip")  # something else in mpiflow imports pandas
        else:
            from mpiflow.core.tokenize import tokenize
            tokenize([1, 2], {"a": 3})
            print("pandas" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    if out == "skip":
        pytest.skip("mpiflow imports pandas at import time")
    assert out == "False"


FIXTURE = """
import functools, operator, collections
import numpy as np
import pandas as pd
from mpiflow.core.spec import get_dependencies

words = {"alpha", "beta", "gamma", "delta"}
scale = 3
def local_func(x):
    return x * scale + len(words)

OBJECTS = {
    "ints": (1, 2, 3),
    "nested": [1, "a", {"k": (2.5, None, b"z"), "s": {"x", "y", "z"}}, [[-0.0, float("nan")]]],
    "set_of_str": {"apple", "banana", "cherry", "date", "elderberry"},
    "dict": {"b": 1, "a": 2, 3: "c"},
    "array": np.arange(10_000, dtype="f8").reshape(100, 100),
    "fortran": np.asfortranarray(np.arange(12).reshape(3, 4)),
    "objects": np.array([1, "two", None], dtype=object),
    "frame": pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": pd.Categorical(["u", "v"])}),
    "series": pd.Series([1.5, 2.5], index=pd.Index(["p", "q"], name="i"), name="s"),
    "lambda": lambda x, y=2: x + y + scale,
    "closure_over_set": (lambda s: (lambda x: x in s))(frozenset(words)),
    "local_func": local_func,
    "module_func": get_dependencies,
    "builtin": operator.add,
    "partial": functools.partial(operator.mul, 3, **{}),
    "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
    "timestamp": pd.Timestamp("2024-01-02", tz="UTC"),
}
"""

CHILD = """
import json, sys
from mpiflow.core.tokenize import tokenize
ns = {"__name__": "tokenize_fixture"}
exec(sys.stdin.read(), ns)
print(json.dumps({k: tokenize(v) for k, v in ns["OBJECTS"].items()}))
"""


def _tokens_in_process() -> dict:
    ns = {"__name__": "tokenize_fixture"}
    exec(FIXTURE, ns)
    return {k: tokenize(v) for k, v in ns["OBJECTS"].items()}


@pytest.mark.parametrize("hashseed", ["0", "12345"])
def test_tokens_equal_across_processes(hashseed):
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=FIXTURE,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)
    ours = _tokens_in_process()
    assert ours == theirs
    assert len(set(ours.values())) == len(ours)


def _rebuild(x):
    """An equal object sharing nothing with ``x`` (containers re-inserted in another order)."""
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, int):
        return int(str(x))
    if isinstance(x, float):
        return float(repr(x))
    if isinstance(x, str):
        return "".join(list(x))
    if isinstance(x, bytes):
        return bytes(bytearray(x))
    if isinstance(x, tuple):
        return tuple(_rebuild(i) for i in x)
    if isinstance(x, list):
        return [_rebuild(i) for i in x]
    if isinstance(x, dict):
        return {_rebuild(k): _rebuild(v) for k, v in reversed(list(x.items()))}
    if isinstance(x, frozenset):
        return frozenset(_rebuild(i) for i in reversed(list(x)))
    raise AssertionError(type(x))


_atoms = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.binary(max_size=8)
)
_hashables = st.recursive(
    _atoms, lambda c: st.tuples(c, c) | st.frozensets(c, max_size=4), max_leaves=8
)
_nested = st.recursive(
    _atoms,
    lambda c: (
        st.lists(c, max_size=4)
        | st.tuples(c, c)
        | st.dictionaries(_hashables, c, max_size=4)
        | st.frozensets(_hashables, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_nested)
def test_tokenize_is_a_function(x):
    assert tokenize(x) == tokenize(_rebuild(x))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers() | st.text(max_size=4), min_size=1, max_size=6), st.data())
def test_changing_one_element_changes_token(xs, data):
    i = data.draw(st.integers(0, len(xs) - 1))
    ys = list(xs)
    ys[i] = data.draw(st.integers() | st.text(max_size=4).map(lambda s: s + "!"))
    if type(ys[i]) is not type(xs[i]) or ys[i] != xs[i]:
        assert tokenize(xs) != tokenize(ys)


def test_module_function_from_spec_is_by_name():
    assert normalize_token(get_dependencies)[1] == ("mpiflow.core.spec", "get_dependencies")
