# ruff: noqa: I001 - one import block per owner section, in layer order
"""Partitioned pandas DataFrames with a Dask-dataframe compatible API.

``import mpiflow.dataframe as dd`` and use it as ``dask.dataframe``.
"""

# --- core ---
from mpiflow.dataframe.core import DataFrame as DataFrame  # noqa: E402
from mpiflow.dataframe.core import Index as Index  # noqa: E402
from mpiflow.dataframe.core import Scalar as Scalar  # noqa: E402
from mpiflow.dataframe.core import Series as Series  # noqa: E402
from mpiflow.dataframe.core import map_partitions as map_partitions  # noqa: E402
from mpiflow.dataframe.core import new_collection as new_collection  # noqa: E402
from mpiflow.dataframe.creation import from_array as from_array  # noqa: E402
from mpiflow.dataframe.creation import from_delayed as from_delayed  # noqa: E402
from mpiflow.dataframe.creation import from_dict as from_dict  # noqa: E402
from mpiflow.dataframe.creation import from_pandas as from_pandas  # noqa: E402
from mpiflow.dataframe.creation import to_array as to_array  # noqa: E402
from mpiflow.dataframe.creation import to_delayed as to_delayed  # noqa: E402
from mpiflow.dataframe.functions import isna as isna  # noqa: E402
from mpiflow.dataframe.functions import to_datetime as to_datetime  # noqa: E402
from mpiflow.dataframe.functions import to_numeric as to_numeric  # noqa: E402
from mpiflow.dataframe.functions import to_timedelta as to_timedelta  # noqa: E402
from mpiflow.dataframe.meta import make_meta as make_meta  # noqa: E402

to_dask_array = to_array

# --- reduce ---
from mpiflow.dataframe.groupby import DataFrameGroupBy as DataFrameGroupBy  # noqa: E402
from mpiflow.dataframe.groupby import SeriesGroupBy as SeriesGroupBy  # noqa: E402
from mpiflow.dataframe.groupby_custom import Aggregation as Aggregation  # noqa: E402
from mpiflow.dataframe.reductions import reduction as reduction  # noqa: E402

# --- shuffle ---
from mpiflow.dataframe.concat import concat as concat  # noqa: E402
from mpiflow.dataframe.merge import merge as merge  # noqa: E402
from mpiflow.dataframe.repartition import repartition as repartition  # noqa: E402
from mpiflow.dataframe.rolling import Rolling as Rolling  # noqa: E402

# --- io ---
from mpiflow.dataframe.io.csv import read_csv as read_csv  # noqa: E402
from mpiflow.dataframe.io.csv import read_table as read_table  # noqa: E402
from mpiflow.dataframe.io.csv import to_csv as to_csv  # noqa: E402
from mpiflow.dataframe.io.from_map import from_map as from_map  # noqa: E402
from mpiflow.dataframe.io.parquet import read_parquet as read_parquet  # noqa: E402
from mpiflow.dataframe.io.parquet import to_parquet as to_parquet  # noqa: E402
