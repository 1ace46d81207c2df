"""Sign-in rate limiting: too many failures for one name from one address → wait."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class SigninLimiter:
    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, address: str, username: str) -> int:
        """Seconds to wait before trying again; 0 when a try is allowed now."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent((address, username.lower()), now)
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window_s - now) + 1)

    def failed(self, address: str, username: str) -> None:
        with self._lock:
            self._failures[(address, username.lower())].append(time.monotonic())

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._failures.pop((address, username.lower()), None)
