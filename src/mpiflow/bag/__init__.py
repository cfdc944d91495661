"""mpiflow.bag: parallel collections of Python objects, with Dask-bag names.

``import mpiflow.bag as db`` runs Dask-bag code: a :class:`Bag` is a list
cut into partitions; element-wise steps are fused into one task per
partition, reductions run as trees, and the default scheduler is the
process pool. See ``docs/bag.md``.

Examples
--------
>>> import mpiflow.bag as db
>>> b = db.from_sequence(['a b', 'b c', 'b'], npartitions=2)
>>> sorted(b.str.split().flatten().frequencies().compute(scheduler='sync'))
[('a', 1), ('b', 3), ('c', 1)]
"""

from mpiflow.bag.core import Bag
from mpiflow.bag.core import bag_map as map  # noqa: A004 - Dask's name
from mpiflow.bag.core import bag_map_partitions as map_partitions
from mpiflow.bag.creation import concat, from_delayed, from_sequence, range, zip  # noqa: A004
from mpiflow.bag.item import Item
from mpiflow.bag.pipeline import optimize
from mpiflow.bag.text import read_text, to_textfiles

__all__ = [
    "Bag",
    "Item",
    "concat",
    "from_delayed",
    "from_sequence",
    "map",
    "map_partitions",
    "optimize",
    "range",
    "read_text",
    "to_textfiles",
    "zip",
]
