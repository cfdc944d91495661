"""Diagnostics: progress bars, profilers and their HTML timeline for running graphs.

- :class:`ProgressBar`: a text bar while a local scheduler or a ``Client`` computes;
- :class:`Profiler`: when each task ran, on which worker (local schedulers);
- :class:`ResourceProfiler`: CPU and memory of this process and its children;
- :func:`visualize_profile`: a standalone HTML timeline of what they recorded.
"""

from mpiflow.diagnostics.profile import Profiler, TaskData
from mpiflow.diagnostics.profile_html import visualize_profile
from mpiflow.diagnostics.progress import ProgressBar
from mpiflow.diagnostics.resource import ResourceData, ResourceProfiler

__all__ = ["ProgressBar", "Profiler", "ResourceData", "ResourceProfiler", "TaskData",
           "visualize_profile"]
