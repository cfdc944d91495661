"""Scripts under client_scripts/ run as their own processes (a Client of a LocalCluster);
pytest must not import them."""

collect_ignore_glob = ["client_scripts/*"]
