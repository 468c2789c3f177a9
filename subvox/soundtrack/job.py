"""Rule ``separate``: voice / background stems for a batch of files, one loaded separator.

A file whose separation fails is recorded in ``failed.tsv`` (stage ``separate``) and the
others go on; files whose stems are already cached cost a probe and nothing else.
"""

from __future__ import annotations

import logging
import tempfile
import time
from typing import Any

from subvox.library.failures import report_failure
from subvox.library.layout import Item, Layout
from subvox.soundtrack.base import Separator
from subvox.soundtrack.cache import separate_item
from subvox.soundtrack.registry import load_separator

log = logging.getLogger("subvox")


class LazySeparator:
    """The configured separator, loaded on first use (a batch of cached files loads nothing)."""

    def __init__(self, name: str, threads: int | None) -> None:
        self.name, self.threads, self._sep = name, threads, None

    def get(self) -> Separator:
        if self._sep is None:
            t0 = time.perf_counter()
            self._sep = load_separator(self.name, self.threads)
            log.info("loaded separator %s in %.2f s", self.name, time.perf_counter() - t0)
        return self._sep


def separate_batch(
    items: list[Item], layout: Layout, config: dict[str, Any], threads: int | None, tmpdir: str | None
) -> list[dict[str, Any]]:
    tmpdir = tmpdir or tempfile.gettempdir()
    sep = LazySeparator(config["separation"]["backend"], threads)
    results = []
    for k, item in enumerate(items, 1):
        try:
            t0 = time.perf_counter()
            _, meta = separate_item(item, layout, config, sep.get, tmpdir)
        except Exception as exc:  # one file must never cost the others their stems
            results.append(report_failure(layout, item, "separate", exc))
            continue
        seconds = meta["frames"] / meta["sample_rate"]
        wall = time.perf_counter() - t0
        log.info("[%d/%d] %s: stems of %.1f s in %.1f s", k, len(items), item.relpath, seconds, wall)
        results.append({"source": item.relpath, "status": "separated", "audio_s": round(seconds, 3)})
    return results
