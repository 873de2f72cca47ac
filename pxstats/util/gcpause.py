"""Pausing Python's cyclic garbage collector for one unit of work.

Scanning a log or loading hourly pickles creates a hundred thousand strings, lists and
dicts and no reference cycle; each burst of allocations makes the cyclic collector walk
them all again (measured: a third of a transfer, a tenth of a scan). Reference counting
still frees everything as usual. Pause around a whole unit of work (one client, one
database set, one graphic) whose objects are freed by its end: pausing around a load
whose objects outlive the pause only moves the walk to the moment it ends."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
