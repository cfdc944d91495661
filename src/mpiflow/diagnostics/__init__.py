"""Diagnostics: progress bars (and, later, profilers) for running graphs."""

from mpiflow.diagnostics.progress import ProgressBar

__all__ = ["ProgressBar"]
