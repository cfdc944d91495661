"""Scripts under client_scripts/ run as their own processes (a Client of a LocalCluster);
pytest must not import them."""

# conftest.py itself: its doctests would import it as a second module named "conftest"
collect_ignore = ["conftest.py"]
collect_ignore_glob = ["client_scripts/*"]
