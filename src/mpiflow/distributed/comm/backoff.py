"""Adaptive back-off for a polling loop.

After activity the loop spins (no sleep) for ``spin`` seconds, so a reply that
comes right back is seen at once. Then it sleeps for a fixed *fraction* of the
time it has been idle, at least ``first_sleep`` and at most ``max_sleep``: the
steps grow geometrically (by ``1 + fraction`` per wake-up) while the loop stays
idle, so an idle rank wakes about ``1 / max_sleep`` times a second and uses
almost no CPU.

Why a fraction and not plain doubling: a message that arrives after the loop
has been idle for ``T`` waits up to one step before it is seen. With doubling
that step is about ``T`` itself; two ranks playing ping-pong then feed each
other's delays and settle at the cap (measured: 4 ms round trips with a 1 ms
cap). Sleeping ``fraction * T`` (0.2 by default) bounds the added delay to a
fifth of the idle time, so round trips stay near their true cost.

Examples
--------
>>> now = [0.0]
>>> b = Backoff(spin=5e-5, first_sleep=1e-4, max_sleep=1e-3, fraction=0.2,
...             clock=lambda: now[0])
>>> b.reset()                       # activity at t=0
>>> now[0] = 1e-5; b.next_wait()    # still spinning
0.0
>>> now[0] = 3e-4; b.next_wait()    # idle 0.3 ms: the floor of 0.1 ms
0.0001
>>> now[0] = 2e-3; round(b.next_wait(), 6)   # idle 2 ms: a fifth of it
0.0004
>>> now[0] = 1.0; b.next_wait()     # idle long: the cap
0.001
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Backoff"]


class Backoff:
    """Decide how long an idle polling loop waits before it polls again.

    Parameters
    ----------
    spin : float
        Seconds after the last activity during which :meth:`next_wait` returns 0.
    first_sleep, max_sleep : float
        Smallest and largest sleep, in seconds.
    fraction : float
        Sleep this fraction of the time since the last activity (within the bounds).
    clock : callable
        Returns the time in seconds; ``time.perf_counter`` by default.
    """

    __slots__ = ("spin", "first_sleep", "max_sleep", "fraction", "_clock", "_last")

    def __init__(
        self,
        spin: float = 50e-6,
        first_sleep: float = 20e-6,
        max_sleep: float = 1e-3,
        fraction: float = 0.2,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not 0 < first_sleep <= max_sleep:
            raise ValueError(
                f"need 0 < first_sleep <= max_sleep, got {first_sleep!r} and {max_sleep!r}"
            )
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
        self.spin, self.first_sleep, self.max_sleep = spin, first_sleep, max_sleep
        self.fraction = fraction
        self._clock = clock
        self._last = clock()

    def reset(self) -> None:
        """Note activity now: spin again, then sleep short steps again."""
        self._last = self._clock()

    def next_wait(self) -> float:
        """Seconds to sleep before the next poll (0 means poll again at once)."""
        idle = self._clock() - self._last
        if idle < self.spin:
            return 0.0
        return min(max(idle * self.fraction, self.first_sleep), self.max_sleep)
