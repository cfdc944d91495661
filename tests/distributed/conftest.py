"""Scripts under cluster_scripts/ and comm/mpi_scripts/ run under mpiexec only."""

collect_ignore_glob = ["cluster_scripts/*", "comm/mpi_scripts/*"]
