"""Tests for mpiflow.delayed: building graphs from Python calls."""

from __future__ import annotations

import operator
import pickle
from collections import namedtuple
from functools import partial, reduce

import cloudpickle
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpiflow import config
from mpiflow.core.spec import istask, literal
from mpiflow.core.tokenize import tokenize
from mpiflow.delayed import (
    Delayed,
    DelayedAttr,
    DelayedLeaf,
    apply,
    delayed,
    funcname,
    graph_of,
    optimize,
)


def inc(x):
    return x + 1


def add(x, y):
    return x + y


def identity(x):
    return x


def compute(d, **kwargs):
    kwargs.setdefault("scheduler", "sync")
    return d.compute(**kwargs)


# ---- functions and keys ----------------------------------------------------------------


def test_decorator_and_call():
    @delayed
    def double(x):
        return 2 * x

    assert isinstance(double, DelayedLeaf)
    d = double(4)
    assert type(d) is Delayed
    assert compute(d) == 8
    assert d.key.startswith("double-")
    assert repr(d) == f"Delayed({d.key!r})"


def test_decorator_with_options():
    @delayed(pure=True, nout=2)
    def pair(x):
        return x, x + 1

    a, b = pair(1)
    assert (compute(a), compute(b)) == (1, 2)
    assert pair(1).key == pair(1).key


def test_leaf_metadata():
    f = delayed(inc)
    assert f.__name__ == "inc"
    assert f.__wrapped__ is inc
    assert f.__doc__ == inc.__doc__
    assert isinstance(DelayedLeaf.__doc__, str) and "Examples" in DelayedLeaf.__doc__
    assert compute(f) is inc  # computing the leaf gives the function back


def test_impure_keys_differ_by_default():
    f = delayed(inc)
    assert f(1).key != f(1).key
    assert delayed(1).key != delayed(1).key


def test_pure_keys():
    f = delayed(inc, pure=True)
    assert f(1).key == f(1).key
    assert f(1).key != f(2).key
    assert delayed(inc, pure=True)(1).key == f(1).key
    assert f(1).key == "inc-" + tokenize(inc, (1,), {})
    assert delayed([1, 2], pure=True).key == delayed([1, 2], pure=True).key


def test_pure_per_call_overrides():
    f = delayed(inc)
    assert f(1, pure=True).key == f(1, pure=True).key
    g = delayed(inc, pure=True)
    assert g(1, pure=False).key != g(1, pure=False).key


def test_pure_from_config_and_env(monkeypatch):
    f = delayed(inc)
    with config.set({"delayed.pure": True}):
        assert f(1).key == f(1).key
    assert f(1).key != f(1).key
    monkeypatch.setenv("MPIFLOW_DELAYED_PURE", "true")
    assert f(1).key == f(1).key


def test_dask_key_name():
    d = delayed(inc)(1, dask_key_name="one")
    assert d.key == "one"
    assert d.dask == {"one": (inc, 1)}
    assert delayed(inc)(1, dask_key_name=("chunk", 0)).key == ("chunk", 0)
    with pytest.raises(TypeError, match="dask_key_name"):
        delayed(inc)(1, dask_key_name=["not", "a", "key"])


def test_name_for_values_and_functions():
    assert delayed(5, name="five").key == "five"
    assert delayed(inc, name="my-inc").key == "my-inc"
    assert delayed(5).key.startswith("int-")
    assert delayed(inc).key.startswith("inc-")
    with pytest.raises(TypeError, match="not a valid key"):
        delayed(5, name=[1])


def test_delayed_of_delayed_is_identity():
    d = delayed(inc)(1)
    assert delayed(d) is d


def test_funcname():
    assert funcname(inc) == "inc"
    assert funcname(partial(add, 1)) == "add"
    assert funcname(lambda: 0) == "lambda"

    class Call:
        def __call__(self, x):
            return x

    assert funcname(Call()) == "Call"
    assert delayed(Call())(1).key.startswith("Call-")


def test_apply():
    assert apply(add, [1, 2]) == 3
    assert apply(dict, [], {"a": 1}) == {"a": 1}


def test_keyword_arguments():
    def f(a, b=0, *, c=0):
        return a + 10 * b + 100 * c

    x = delayed(inc)(0)
    assert compute(delayed(f)(1, b=2, c=3)) == 321
    assert compute(delayed(f)(x, b=x, c=x)) == 111


# ---- values and containers --------------------------------------------------------------


def test_delayed_value_and_containers():
    a = delayed(inc)(1)
    assert compute(delayed(5)) == 5
    assert compute(delayed([1, a, 3])) == [1, 2, 3]
    assert compute(delayed((a, [a, {"k": a}]))) == (2, [2, {"k": 2}])
    assert compute(delayed({a, 10})) == {2, 10}
    assert compute(delayed(frozenset([a]))) == frozenset([2])
    assert compute(delayed({"x": a, "y": [a, 1]})) == {"x": 2, "y": [2, 1]}


def test_delayed_value_traverse_false_keeps_data():
    a = delayed(inc)(1)
    d = delayed([a], traverse=False)
    result = compute(d)
    assert result[0] is a
    assert len(d.dask) == 1 and a.key not in d.dask


def test_plain_containers_are_data():
    d = delayed([1, 2, 3], name="L")
    assert len(d.dask) == 1
    assert compute(d) == [1, 2, 3]


# ---- arguments the graph format would misread --------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        (sum, [1, 2]),
        [(sum, [1, 2]), 3],
        [[(abs, -1)]],
        {"a": (sum, [1, 2])},
        {"k": [1, 2]},
        ("x", 0),
        (1, 2),
        "plain string",
        b"bytes",
        [],
        (),
        {},
        [1, "two", (3,)],
    ],
)
def test_literal_arguments_arrive_unchanged(value):
    d = delayed(identity)(value)
    assert compute(d) == value
    assert type(compute(d)) is type(value)
    assert compute(delayed(lambda **kw: kw)(x=value)) == {"x": value}
    assert compute(delayed(value, traverse=False)) == value
    assert compute(delayed(value)) == value


_atoms = st.one_of(
    st.integers(), st.text(max_size=5), st.none(), st.booleans(), st.just(sum), st.just("x")
)
_values = st.recursive(
    _atoms,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.tuples(st.just(sum), children),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(_values)
def test_any_literal_round_trips(value):
    x = delayed(0, name="x")  # a key named like a string that may appear in value
    assert compute(delayed(identity)(value)) == value
    assert compute(delayed(identity)([value, x, (value, x)])) == [value, 0, (value, 0)]
    assert compute(delayed({"v": value, "x": x})) == {"v": value, "x": 0}


def test_task_like_tuple_argument_exact():
    got = compute(delayed(identity)((sum, [1, 2])))
    assert got == (sum, [1, 2])
    assert got[0] is sum


def test_string_equal_to_a_key_is_not_an_alias():
    other = delayed(inc)(1, dask_key_name="other")
    d = delayed(lambda a, b: (a, b))(other, "other")
    assert compute(d) == (2, "other")
    t = delayed(lambda a, b: (a, b))(other, ("other",))
    assert compute(t) == (2, ("other",))


def test_literal_keyword_arguments():
    def f(**kw):
        return kw

    a = delayed(inc)(1)
    assert compute(delayed(f)(x=(sum, [1]), y="y", z={"a": [1]})) == {
        "x": (sum, [1]),
        "y": "y",
        "z": {"a": [1]},
    }
    assert compute(delayed(f)(x=a, y=[a, "s"])) == {"x": 2, "y": [2, "s"]}


def test_containers_of_delayed_as_arguments():
    a = delayed(inc)(1)
    b = delayed(inc)(2)
    assert compute(delayed(sum)([a, b, 10])) == 15
    assert compute(delayed(identity)((a, b))) == (2, 3)
    assert compute(delayed(identity)({a, b})) == {2, 3}
    assert compute(delayed(identity)({"a": a, "n": {"b": b}})) == {"a": 2, "n": {"b": 3}}
    assert compute(delayed(identity)({a: "x"})) == {2: "x"}
    assert compute(delayed(identity)([[a, (sum, [1])], "k"])) == [[2, (sum, [1])], "k"]


def test_namedtuple_and_slice_arguments():
    Point = namedtuple("Point", "x y")
    a = delayed(inc)(1)
    p = compute(delayed(identity)(Point(a, 5)))
    assert p == Point(2, 5) and type(p) is Point
    assert compute(delayed(identity)(Point(1, 2))) == Point(1, 2)
    assert compute(delayed(list)(range(10))[a:6]) == [2, 3, 4, 5]


def test_numpy_arguments():
    x = np.arange(5)
    assert compute(delayed(np.sum)(x)) == 10
    assert (compute(delayed(x) * 2) == x * 2).all()


# ---- proxying: attributes, methods, operators --------------------------------------------


def test_attribute_access():
    z = delayed(3 + 4j)
    r = z.real
    assert isinstance(r, DelayedAttr)
    assert compute(r) == 3.0
    assert z.real.key == z.real.key  # attribute access is pure
    assert r.key.startswith("getattr-")
    assert compute(z.real.imag) == 0.0


def test_method_calls():
    s = delayed("a,b,c")
    parts = s.split(",")
    assert compute(parts) == ["a", "b", "c"]
    assert parts.key.startswith("split-")
    assert s.count("a").key != s.count("a").key
    assert s.count("a", pure=True).key == s.count("a", pure=True).key
    assert s.count("a", dask_key_name="n").key == "n"
    assert compute(delayed({"x": 1}).get("y", 7)) == 7


def test_method_with_keywords_and_delayed_arguments():
    d = delayed([3, 1, 2])
    key = delayed(lambda: lambda v: -v)()
    assert compute(delayed(sorted)(d, key=key)) == [3, 2, 1]
    assert compute(delayed("{a}-{b}").format(a=delayed(inc)(0), b="z")) == "1-z"


def test_attribute_names_with_underscore_raise():
    d = delayed(1)
    with pytest.raises(AttributeError):
        d._private  # noqa: B018
    assert not hasattr(d, "__array__")


def test_visualise_warns():
    with pytest.warns(UserWarning, match="visualize"):
        delayed(1).visualise  # noqa: B018


def test_call_delayed_value():
    f = delayed(lambda: abs)()
    r = f(-3)
    assert r.key.startswith("apply-")
    assert compute(r) == 3
    assert compute(delayed(lambda: int)()("ff", base=16)) == 255
    assert f(-3, dask_key_name="three").key == "three"


BINARY = [
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
    operator.mod, operator.pow, operator.and_, operator.or_, operator.xor,
    operator.lshift, operator.rshift, operator.eq, operator.ne, operator.lt,
    operator.le, operator.gt, operator.ge,
]  # fmt: skip


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
def test_binary_operators_both_sides(op):
    a, b = 7, 3
    assert compute(op(delayed(a), b)) == op(a, b)
    assert compute(op(a, delayed(b))) == op(a, b)
    assert compute(op(delayed(a), delayed(b))) == op(a, b)


@pytest.mark.parametrize("op", [operator.neg, operator.pos, operator.abs, operator.invert])
def test_unary_operators(op):
    assert compute(op(delayed(-5))) == op(-5)


def test_matmul_divmod_getitem():
    m = np.array([[1, 2], [3, 4]])
    assert (compute(delayed(m) @ m) == m @ m).all()
    assert (compute(m @ delayed(m)) == m @ m).all()
    q, r = divmod(delayed(17), 5)
    assert (compute(q), compute(r)) == (3, 2)
    assert compute(divmod(17, delayed(5))) == (3, 2)
    d = delayed({"a": [10, 20]})
    assert compute(d["a"][1]) == 20
    assert d["a"].key == d["a"].key  # operators are pure
    assert d["a"].key.startswith("getitem-")


def test_numpy_operand_on_the_left_defers_to_delayed():
    x = np.arange(3)
    d = x + delayed(1)
    assert isinstance(d, Delayed)
    assert (compute(d) == x + 1).all()


def test_operators_are_pure_and_named():
    a = delayed(1, name="a")
    assert (a + 1).key == (a + 1).key
    assert (a + 1).key != (a + 2).key
    assert (a + 1).key.startswith("add-")
    assert (1 + a).key != (a + 1).key


def test_delayed_in_sets_and_dict_keys():
    a = delayed(1, name="a")
    assert hash(a) == hash("a")
    assert {a: 1}[a] == 1


# ---- things a Delayed cannot do ----------------------------------------------------------


def test_bool_raises():
    with pytest.raises(TypeError, match="not known until it is computed"):
        bool(delayed(1))
    with pytest.raises(TypeError):
        if delayed(1) == 1:
            pass


def test_immutable():
    d = delayed([1])
    with pytest.raises(TypeError, match="immutable"):
        d.x = 1
    with pytest.raises(TypeError, match="immutable"):
        d[0] = 1
    with pytest.raises(TypeError, match="immutable"):
        del d.x


def test_len_and_iter_need_nout():
    d = delayed(divmod)(7, 2)
    with pytest.raises(TypeError, match="nout="):
        len(d)
    with pytest.raises(TypeError, match="nout="):
        iter(d)
    with pytest.raises(TypeError, match="nout="):
        a, b = d
    with pytest.raises(TypeError, match="nout="):
        list(d)


def test_nout():
    q, r = delayed(divmod, nout=2)(7, 2)
    assert (compute(q), compute(r)) == (3, 1)
    d = delayed(divmod, nout=2)(7, 2)
    assert len(d) == 2
    assert [compute(x) for x in d] == [3, 1]
    assert list(delayed(tuple, nout=0)([])) == []
    (only,) = delayed(tuple, nout=1)([5])
    assert compute(only) == 5
    assert len(delayed((1, 2, 3), nout=3)) == 3


@pytest.mark.parametrize("nout", [-1, 1.5, "2"])
def test_bad_nout(nout):
    with pytest.raises(ValueError, match="nout"):
        delayed(divmod, nout=nout)


# ---- graph and protocol ------------------------------------------------------------------


def test_graph_and_protocol():
    a = delayed(1, name="a")
    b = delayed(add)(a, 2, dask_key_name="b")
    c = delayed(add)(b, a, dask_key_name="c")
    expected = {"a": 1, "b": (add, "a", 2), "c": (add, "b", "a")}
    assert c.dask == expected
    assert c.__mpiflow_graph__() == expected
    assert c.__mpiflow_keys__() == ["c"]
    finalize, extra = c.__mpiflow_postcompute__()
    assert finalize([5], *extra) == 5
    assert tokenize(c) == tokenize(c)
    assert tokenize(c) != tokenize(b)
    assert graph_of([b, c]) == expected


def test_delayed_from_graph():
    d = Delayed("z", {"x": 1, "z": (add, "x", 10), "unused": 3})
    assert compute(d) == 11
    assert compute(d + 1) == 12
    assert "unused" not in optimize(graph_of([d + 1]), [(d + 1).key])
    with pytest.raises(ValueError, match="not in the graph"):
        Delayed("nope", {"x": 1})
    with pytest.raises(TypeError, match="task graph"):
        Delayed("x", [1])
    assert len(Delayed("p", {"p": (divmod, 7, 2)}, length=2)) == 2


def test_optimize_culls():
    dsk = {"a": 1, "b": (inc, "a"), "c": 2}
    assert optimize(dsk, ["b"]) == {"a": 1, "b": (inc, "a")}


def test_pickle_round_trip():
    a = delayed(inc)(1)
    b = a + delayed(10)
    for dumps in (pickle.dumps, cloudpickle.dumps):
        b2 = pickle.loads(dumps(b))
        assert b2.key == b.key
        assert compute(b2) == 12
    leaf = pickle.loads(pickle.dumps(delayed(inc, pure=True)))
    assert compute(leaf(1)) == 2
    assert leaf(1).key == delayed(inc, pure=True)(1).key


def test_method_descriptor():
    class Counter:
        def __init__(self, n):
            self.n = n

        @delayed(pure=True)
        def plus(self, k):
            return self.n + k

    assert compute(Counter(3).plus(4)) == 7


def test_wrapping_another_collection():
    class Chunks:
        """A minimal collection: two chunks, finalized by summing."""

        def __mpiflow_graph__(self):
            return {("c", 0): 1, ("c", 1): (inc, ("c", 0)), "junk": 99}

        def __mpiflow_keys__(self):
            return [("c", 0), ("c", 1)]

        def __mpiflow_postcompute__(self):
            return sum, ()

        def __mpiflow_tokenize__(self):
            return "chunks"

    c = Chunks()
    assert compute(delayed(inc)(c)) == 4
    assert compute(delayed(c)) == 3
    assert compute(delayed(c, name="named")) == 3
    d = delayed(identity)([c, c])
    assert compute(d) == [3, 3]
    assert "junk" not in d.dask


def test_persisted_delayed_holds_value():
    a = delayed(inc)(1)
    p = a._rebuild({a.key: 2})
    assert p.dask == {a.key: 2}
    s = a._rebuild({a.key: "text"})
    assert istask(s.dask[a.key]) and isinstance(s.dask[a.key][0], literal)
    assert compute(s) == "text"


# ---- scale: no quadratic merging, no recursion ------------------------------------------


def test_deep_chain_of_calls_no_recursion():
    n = 20_000
    d = delayed(0)
    f = delayed(add)
    for i in range(n):
        d = f(d, i)
    assert len(d.dask) == n + 1
    assert compute(d) == sum(range(n))
    assert d.compute(scheduler="threads") == sum(range(n))
    assert compute(pickle.loads(pickle.dumps(d))) == sum(range(n))


def test_deep_reduce_chain_of_operators():
    n = 10_000
    total = reduce(operator.add, [delayed(1, name=f"one-{i}") for i in range(n)])
    assert compute(total) == n


def test_building_many_calls_gives_one_key_each():
    # the speed is measured by benchmarks/local_overhead.py, not asserted here
    n = 10_000
    f = delayed(inc)
    xs = [f(i) for i in range(n)]
    dsk = graph_of(xs)
    assert len(dsk) == n
