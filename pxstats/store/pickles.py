"""The hourly pickle store: atomic writes and one restricted loader.

Pickles travel between machines, so loading one must never run code: the unpickler
accepts only the project's own data classes and plain builtin containers. Files written
by the original Python 2 pxStats are recognised and converted by `store.legacy`.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from pxstats.store import legacy
from pxstats.store.errors import PickleError
from pxstats.util import atomic
from pxstats.stats.collector import PICKLED_MODULE, Bucket, FileStatsCollector

PROTOCOL = 4

# The only globals a pickle may name. Everything else is refused.
_ALLOWED = {
    (PICKLED_MODULE, "FileStatsCollector"): FileStatsCollector,
    (PICKLED_MODULE, "Bucket"): Bucket,
}


class ForbiddenClass(pickle.UnpicklingError):
    pass


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ForbiddenClass(f"forbidden class {module}.{name}") from None


def loads(data: bytes, origin: str = "<bytes>"):
    """Unpickle `data` allowing only pxStats data classes and builtins."""
    if _looks_legacy(data):
        return legacy.loads(data, origin)
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except ForbiddenClass as exc:
        raise PickleError(f"{origin}: refused: {exc}") from None
    except Exception as exc:  # truncated or corrupt data: any decoding error
        raise PickleError(f"{origin}: not a readable pickle ({type(exc).__name__}: {exc})") from None


def _looks_legacy(data: bytes) -> bool:
    """The original wrote protocol 0/1 (no PROTO opcode) or at most protocol 2; ours is 4."""
    return not data.startswith(b"\x80") or data.startswith(b"\x80\x02")


def load(path: Path | str):
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PickleError(f"cannot read pickle {path}: {exc.strerror}") from None
    return loads(data, str(path))


def load_collector(path: Path | str) -> FileStatsCollector:
    obj = load(path)
    if not isinstance(obj, FileStatsCollector):
        raise PickleError(f"{path}: not a statistics pickle (found {type(obj).__name__})")
    return obj


def dumps(collector: FileStatsCollector) -> bytes:
    """The bytes `save` writes for `collector`."""
    return pickle.dumps(collector, protocol=PROTOCOL)


def write(path: Path | str, data: bytes) -> None:
    """Store bytes made by `dumps` (atomically)."""
    atomic.write_bytes(path, data)


def save(path: Path | str, collector: FileStatsCollector) -> None:
    write(path, dumps(collector))
