"""Memory and CPU time of the current process, read the way the bench figures use them."""

from __future__ import annotations

import resource
import threading
import time

RSS_KINDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def proc_status(keys: tuple[str, ...] = RSS_KINDS) -> dict[str, float]:
    """The given fields of /proc/self/status (default: VmRSS / RssAnon / RssFile / RssShmem), MB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in keys:
                out[key] = int(value.split()[0]) / 1024
    return out


def peak_mb() -> float:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: Linux carries the parent's
    high-water mark over fork+exec into the child's ru_maxrss, so a worker started by a
    parent that holds torch would report the parent's peak."""
    hwm = proc_status(("VmHWM",))
    return hwm["VmHWM"] if hwm else maxrss_mb()


def maxrss_mb() -> float:
    """ru_maxrss of this process, MB (kB on Linux); see peak_mb for why it is not the peak."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """User + system CPU seconds of this process, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class RssSampler(threading.Thread):
    """Samples /proc/self/status every ``interval`` s: peak of each RSS kind, and a timeline
    of VmRSS (every 4th sample)."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak: dict[str, float] = {}
        self.timeline: list[tuple[float, float]] = []
        self._stop_event = threading.Event()
        self._t0 = time.perf_counter()

    def sample(self) -> dict[str, float]:
        s = proc_status()
        for k, v in s.items():
            self.peak[k] = max(self.peak.get(k, 0.0), v)
        return s

    def run(self) -> None:
        n = 0
        while not self._stop_event.wait(self.interval):
            s = self.sample()
            if n % 4 == 0:
                self.timeline.append((round(time.perf_counter() - self._t0, 2), round(s.get("VmRSS", 0.0), 1)))
            n += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()
