"""Play and pause that keep up with the browser: one frame in flight, at a set number of days per second.

A loop that steps as fast as it can queues pictures faster than a busy browser can show them:
the class sees the town run on for seconds after Pause (issue: 13-46 days late at a 1 ms play
interval). Here the loop sends a frame, waits until the browser reports it drawn (or a timeout,
so a hidden tab cannot stall it), then waits out the rest of the day's time slot. Pause stops
the loop at once, and at most one frame is on its way, so the page stops where it was shown.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

SPEEDS = (1, 30)  # days per second, the speed slider's range
DRAWN_TIMEOUT = 3.0  # seconds to wait for the browser before sending the next frame anyway


class Player:
    """Runs ``advance`` (one day, returns a frame with a ``number``, or None at the end) and hands
    each frame to ``publish``, pacing itself to ``speed`` days per second and to the browser."""

    def __init__(
        self,
        advance: Callable[[], object | None],
        publish: Callable[[object], None],
        *,
        speed: float = 5.0,
        drawn_timeout: float = DRAWN_TIMEOUT,
    ) -> None:
        self.advance, self.publish = advance, publish
        self.speed = speed
        self.drawn_timeout = drawn_timeout
        self._stop = threading.Event()
        self._stop.set()
        self._drawn = threading.Condition()
        self.drawn_number = 0
        self._times: deque[float] = deque(maxlen=12)

    @property
    def playing(self) -> bool:
        return not self._stop.is_set()

    def play(self) -> None:
        self._times.clear()
        self._stop.clear()

    def pause(self) -> None:
        self._stop.set()
        with self._drawn:
            self._drawn.notify_all()

    def drawn(self, number: int) -> None:
        """The browser has drawn frame ``number``."""
        with self._drawn:
            self.drawn_number = max(self.drawn_number, int(number))
            self._drawn.notify_all()

    def rate(self) -> float | None:
        """Days per second over the last few frames while playing."""
        if len(self._times) < 3:
            return None
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)

    def _wait_drawn(self, number: int) -> None:
        with self._drawn:
            self._drawn.wait_for(lambda: self.drawn_number >= number or not self.playing, self.drawn_timeout)

    def run(self) -> None:
        """The play loop: call in a worker thread after ``play``; returns once paused or at the end.

        The next day is computed while the browser draws the current one; a day computed when
        Pause comes is still shown, so the page always shows the day the towns are on.
        """
        frame = self.advance()
        while frame is not None:
            started = time.monotonic()
            self._times.append(started)
            self.publish(frame)
            if not self.playing:
                break
            upcoming = self.advance()
            self._wait_drawn(frame.number)
            slot = 1.0 / max(self.speed, 1e-3)
            self._stop.wait(max(0.0, slot - (time.monotonic() - started)))
            frame = upcoming
        self._stop.set()
