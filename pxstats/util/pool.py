"""The first steps of a forked worker process, shared by every pool of workers."""

from __future__ import annotations

import ctypes
import logging
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux); exit now if the
    parent `parent` is already gone."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:   # the parent died before prctl took effect
        os._exit(1)


def log_through(handler: logging.Handler, level: int) -> None:
    """Send the pxstats log records of this process to `handler` only: the handlers
    inherited from the parent stay the parent's."""
    root = logging.getLogger("pxstats")
    for inherited in list(root.handlers):
        root.removeHandler(inherited)
    root.addHandler(handler)
    root.setLevel(level)
