"""Reading and writing partitioned dataframes: CSV, Parquet, ``from_map``."""
