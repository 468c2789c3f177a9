"""Give the memory one phase of decoding freed back to the system before the next allocates.

On a CPU, CTranslate2's encoder frees its buffers (tens of MB per window) just before
``generate`` allocates the beams of a whole batch. jemalloc (the jobs' malloc,
subvox.workflow.allocator: freed pages kept up to 10 s, one arena per thread) and glibc
keep most of those pages resident and the decoder does not reuse them, so its peak comes
on top: a long file, whose batches are full and follow each other, peaked ~50 MB above
what it needs (tiny.en int8, batch 4, 20-min track: 381 MB, 332 with this; 1-min 291).
``release`` returns them: jemalloc purges every arena, glibc trims its heaps; a no-op
under any other malloc.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

MALLCTL_ARENAS_ALL = 4096  # jemalloc's "every arena" index in mallctl names


@functools.cache
def _releaser() -> Callable[[], object] | None:
    """How this process's malloc gives free pages back, looked up once: jemalloc's
    ``mallctl("arena.<all>.purge")`` when it is preloaded, glibc's ``malloc_trim(0)``, else None."""
    try:
        process = ctypes.CDLL(None)  # the symbols every loaded library exports (LD_PRELOAD first)
    except (OSError, TypeError):  # no dlopen(NULL) (Windows)
        return None
    mallctl = getattr(process, "mallctl", None)
    if mallctl is not None:
        mallctl.restype = ctypes.c_int
        mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        name = f"arena.{MALLCTL_ARENAS_ALL}.purge".encode()
        return lambda: mallctl(name, None, None, None, 0)
    trim = getattr(process, "malloc_trim", None)
    if trim is not None:
        trim.restype, trim.argtypes = ctypes.c_int, [ctypes.c_size_t]
        return lambda: trim(0)
    return None


def release() -> bool:
    """Hand the pages malloc holds free back to the system; False where it cannot (no glibc
    or jemalloc). Costs a few ms: the next allocations fault their pages in again."""
    releaser = _releaser()
    if releaser is None:
        return False
    releaser()
    return True
