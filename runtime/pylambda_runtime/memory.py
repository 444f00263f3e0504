"""Large blocks that a call frees go back to the system at once, not into malloc's cache.

glibc serves a block of 128 KiB or more with its own mmap and unmaps it when freed, but
after the first such free it raises that threshold to the block's size (up to 32 MiB), so
from then on a call's 6 MiB body, its event's text or its response are carved from a
thread's heap, and that memory stays resident after the call, once per thread that served
one: 10 slow readers of a 6 MiB response held 11.4 MiB each instead of the body's 6
(runtime/README.md). Fixing the threshold turns the dynamic raise off. A pod or a user that
sets MALLOC_MMAP_THRESHOLD_ has chosen already; other C libraries are left alone.
"""

import os
import sys

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
MMAP_THRESHOLD = 128 << 10  # glibc's default, kept fixed


def return_large_frees() -> bool:
    """Fix glibc's mmap threshold; whether it was set (False off glibc, or when chosen)."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl's mallopt does nothing anyway
            return False
        return libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    except (ImportError, OSError, AttributeError):
        return False
