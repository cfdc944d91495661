"""ClusterInfoMixin logic that needs no cluster."""

from mpiflow.distributed.client_info import ClusterInfoMixin
from mpiflow.distributed.futures import KeyState


class _Answers(ClusterInfoMixin):
    """The scheduler's answer is fixed; the client's own key states are real."""

    def __init__(self, answer: dict, states: dict) -> None:
        self.answer, self._states = answer, states

    def _ask(self, msg: dict, timeout: float = 0) -> dict:
        return {key: list(self.answer.get(key, [])) for key in msg["keys"]}


def test_who_has_uses_the_pushed_holder_while_the_scheduler_has_not_heard_yet():
    # The race CI hit: a small result reached the client from its worker before the
    # scheduler read that worker's report, and who_has said [] right after result().
    done, waiting = KeyState("x"), KeyState("y")
    done.finish("finished", who_has=["mpi://3"], nbytes=8)
    client = _Answers({}, {"x": done, "y": waiting})
    assert client.who_has() == {"x": ["mpi://3"], "y": []}
    client.answer = {"x": ["mpi://2", "mpi://3"]}
    assert client.who_has() == {"x": ["mpi://2", "mpi://3"], "y": []}
