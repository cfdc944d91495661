"""The dashboard: see the cluster work in a browser, served by the scheduler rank.

``initialize(dashboard_address=':8787')``, ``mpiflow cluster
--dashboard-address :8787`` and ``LocalCluster(dashboard_address=':8787')``
serve pages at ``/status``, ``/workers``, ``/graph`` and ``/info`` and a JSON
API under ``/api/v1/`` (see ``docs/diagnostics.md``). It binds to
127.0.0.1 unless told otherwise; ``None`` turns it off.

Examples
--------
>>> from mpiflow.distributed.dashboard import parse_dashboard_address
>>> parse_dashboard_address("0.0.0.0:8787")
('0.0.0.0', 8787)
"""

from mpiflow.distributed.dashboard.address import (
    DEFAULT_ADDRESS,
    dashboard_link,
    parse_dashboard_address,
    resolve_dashboard_address,
)
from mpiflow.distributed.dashboard.recorder import Recorder, key_group
from mpiflow.distributed.dashboard.web import DashboardServer

__all__ = ["DEFAULT_ADDRESS", "DashboardServer", "Recorder", "dashboard_link", "key_group",
           "parse_dashboard_address", "resolve_dashboard_address"]
