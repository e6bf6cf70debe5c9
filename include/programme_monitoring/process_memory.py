"""Giving the memory a large report no longer needs back to the operating system.

pyarrow's allocator (mimalloc) and glibc's ``malloc`` both keep what a program frees for its
next allocations. After a 2,000,000-row report is read, a worker would keep a few hundred
megabytes of freed chunk buffers and arrow blocks, and the suites' peak would stack on top of
them (``bench/bench_csv_intake.py`` measures the peak). ``give_back`` returns what is free:
pyarrow's unused pages, then glibc's free heap pages (``malloc_trim``; skipped where the C
library has none, e.g. musl or macOS). It frees nothing in use, so it is safe from any thread.
"""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def give_back() -> None:
    """Return the freed memory of pyarrow and of glibc's heap to the operating system."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if (trim := _malloc_trim()) is not None:
        trim(0)
