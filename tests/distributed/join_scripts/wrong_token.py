"""A client with a scheduler file whose token was changed is refused, with a clear message."""

import sys

from mpiflow.distributed import Client
from mpiflow.distributed.join import JoinRefused

try:
    Client(scheduler_file=sys.argv[1], timeout=60)
except JoinRefused as err:
    print("refused:", err, flush=True)
else:
    raise SystemExit("a wrong token was accepted")
