"""Scripts under cluster_scripts/, comm/mpi_scripts/, join_scripts/, dashboard_scripts/ and
report_scripts/ run as their own processes (under mpiexec, or as plain clients) only;
pytest must not import them."""

# conftest.py itself: its doctests would import it as a second module named "conftest"
collect_ignore = ["conftest.py"]
collect_ignore_glob = ["cluster_scripts/*", "comm/mpi_scripts/*", "join_scripts/*",
                       "dashboard_scripts/*", "report_scripts/*"]
