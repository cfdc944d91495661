"""Scripts under cluster_scripts/, comm/mpi_scripts/, join_scripts/, dashboard_scripts/ and
report_scripts/ run as their own processes (under mpiexec, or as plain clients) only;
pytest must not import them."""

collect_ignore_glob = ["cluster_scripts/*", "comm/mpi_scripts/*", "join_scripts/*",
                       "dashboard_scripts/*", "report_scripts/*"]
