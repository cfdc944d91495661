"""The client script fails after starting work: the job must end, non-zero, fast."""
from mpiflow.distributed import initialize

client = initialize()
client.submit(sum, [1, 2]).result()
raise RuntimeError("the user's script failed here")
