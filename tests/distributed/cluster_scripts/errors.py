"""Bad input on the cluster: each case gets a clear error and nothing hangs."""
import threading

from mpiflow.distributed import initialize

client = initialize()


def fails(x):
    raise ValueError(f"bad value {x}")


def expect(kind, text, fn):
    try:
        fn()
    except kind as err:
        full = str(err) + "\n".join(getattr(err, "__notes__", []))
        assert text in full, (text, full)
        return err
    raise AssertionError(f"expected {kind.__name__}")


lock = threading.Lock()
expect(TypeError, "cannot be sent to the cluster",
       lambda: client.submit(lambda x: lock, 1, key="needs-lock"))
err = expect(TypeError, "task 'needs-lock'",
             lambda: client.submit(lambda x: lock, 1, key="needs-lock"))

f = client.submit(fails, 3)
err = expect(ValueError, "bad value 3", f.result)
assert "fails" in "\n".join(err.__notes__), err.__notes__
assert f.status == "error" and isinstance(f.exception(), ValueError)
assert "bad value 3" in f.traceback()
downstream = client.submit(lambda x: x, f)
expect(ValueError, "bad value 3", downstream.result)

unpicklable = client.submit(threading.Lock)
expect(Exception, "could not serialize", unpicklable.result)


def lock_at(i):
    return threading.Lock() if i == 150 else i


# Many small results pushed together (one message per client): the one that does not
# pickle stays on its worker and is explained; every other one arrives.
many = client.map(lock_at, range(300))
assert [f.result() for f in many if f.key != many[150].key] == \
    [i for i in range(300) if i != 150]
expect(Exception, "could not serialize", many[150].result)

slow = client.submit(__import__("time").sleep, 3, pure=False)
expect(TimeoutError, "waited 0.2 s", lambda: slow.result(timeout=0.2))

expect(TypeError, "needs a callable", lambda: client.submit(42))
expect(ValueError, "addresses look like", lambda: client.submit(abs, 1, workers=["nowhere"]))
print("OK")
client.shutdown()
