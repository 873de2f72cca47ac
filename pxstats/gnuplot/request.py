"""What a gnuplot graphic is: the request (clients, machines, window, types, products,
language) and the names of its PNG, archive and Columbo copies (spec graphics_web.md §1.7).

Data folders are never translated (project rule); the output follows the output language:
file names and the folders under graphics/ (`autres`, `journalier`, French month names)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from pxstats import i18n
from pxstats.gnuplot.words import TEXT
from pxstats.i18n import ALL, is_all_products
from pxstats.paths import NAME_MAX, StatsPaths, check_name, safe_component
from pxstats.util import timeutil

# Valid types per file type, in the order *All* stands for (spec §1.2 step 5).
TYPES = {
    "tx": ("errors", "filecount", "bytecount", "latency"),
    "rx": ("errors", "filecount", "bytecount"),
}
LINE_TYPES = {"latency": 1, "bytecount": 2, "filecount": 3, "errors": 4}
COLUMBO = "columbo"


# -- the request -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphicRequest:
    """What to draw. `types` are the English keys in drawing order (first = bottom panel);
    `end` is rounded down to the hour."""

    clients: tuple[str, ...]
    machines: tuple[str, ...]
    end: int
    span: int = 12
    file_type: str = "tx"
    types: tuple[str, ...] | None = None  # None: every type of the file type
    products: tuple[str, ...] = ("All",)
    group: str = ""
    combine: bool = False
    language: str = "en"
    copy: bool = False

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "clients", tuple(self.clients))
        set_(self, "machines", tuple(self.machines))
        set_(self, "products", tuple(self.products) or ("All",))
        set_(self, "end", timeutil.hour_start(int(self.end)))
        if self.file_type not in i18n.FILE_TYPES:
            raise ValueError(f"file type must be tx or rx, not {self.file_type!r}")
        set_(self, "types", tuple(self.types) if self.types else TYPES[self.file_type])
        bad = [t for t in self.types if t not in TYPES[self.file_type]]
        if bad:
            raise ValueError(
                f"with {self.file_type} the data types are "
                f"{', '.join(TYPES[self.file_type])}, not {', '.join(bad)}"
            )
        if self.language not in i18n.LANGUAGES:
            raise ValueError(f"language must be en or fr, not {self.language!r}")
        if not isinstance(self.span, int) or self.span < 1:
            raise ValueError("the span must be a whole number of hours, at least 1")
        if not self.clients or not self.machines:
            raise ValueError("at least one client and one machine are needed")
        if self.group and not self.combine:
            raise ValueError("a group name needs combined clients")
        for kind, names in (
            ("client", self.clients),
            ("machine", self.machines),
            ("group", (self.group,) if self.group else ()),
        ):
            for name in names:
                check_text(kind, name)
                check_name(kind, name)
        for product in self.products:
            check_text("product", product)
            if "/" in product:
                raise ValueError(f"invalid product pattern: {product!r}")

    @property
    def start(self) -> int:
        return self.end - self.span * timeutil.HOUR

    @property
    def all_products(self) -> bool:
        return is_all_products(self.products[0])

    @property
    def entity(self) -> str:
        """Name of the graphic in file and folder names: the group, else the names joined by -."""
        return self.group or "-".join(self.clients)

    @property
    def panels(self) -> int:
        series = 1 if self.combine else len(self.clients)
        return series * len(self.types)


def type_word(data_type: str, language: str) -> str:
    return i18n.TYPE_NAMES[language][data_type]


def check_text(kind: str, name: str) -> str:
    """Names end up in file names and in the picture: no control characters."""
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in name):
        raise ValueError(f"invalid {kind} name (control character): {name!r}")
    return name


# -- names (§1.7) -------------------------------------------------------------------------------


def _strip(text: str) -> str:
    """The original deleted '[', ']', quotes and blanks from names (now only from names)."""
    for ch in "[] '":
        text = text.replace(ch, "")
    return text


def _folder(text: str) -> str:
    text = _strip(text)
    return text if text not in ("", ".", "..") else "_" + text


def _shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` bytes: a prefix and a hash, so two names never collide."""
    data = text.encode()
    if len(data) <= limit:
        return text
    digest = hashlib.sha1(data).hexdigest()[:8]
    return data[: max(limit - 9, 0)].decode(errors="ignore") + "~" + digest


def file_name(request: GraphicRequest) -> str:
    """<ft>_<entity>_<YYYYMMDD>_<HH:MM:SS>_<types>_<span>hours_on_<machines>_for_<products>_products.png
    (French pattern in French), kept within NAME_MAX by shortening the three names."""
    language = request.language
    words = TEXT[language]
    parts = {
        "entity": _strip(request.entity),
        "machines": _strip(",".join(request.machines)),
        "products": ALL[language] if request.all_products else _strip("_".join(request.products)),
    }
    common = dict(
        ft=request.file_type,
        date=timeutil.iso(request.end).replace("-", "").replace(" ", "_"),
        types=",".join(type_word(t, language) for t in request.types),
        span=request.span,
    )
    name = words["file_name"].format(**common, **parts)
    if len(name.encode()) <= NAME_MAX:
        return name
    room = NAME_MAX - len(
        words["file_name"].format(**common, entity="", machines="", products="").encode()
    )
    for left, key in enumerate(sorted(parts, key=lambda k: len(parts[k].encode())), start=0):
        share = room // (3 - left)
        parts[key] = _shorten(parts[key], share)
        room -= len(parts[key].encode())
    return words["file_name"].format(**common, **parts)


def image_path(paths: StatsPaths, request: GraphicRequest) -> Path:
    """graphics/others/gnuplot/<entity, first 50 characters>/<file_name> (fr: autres)."""
    folder = _folder(request.entity[:50])
    return (
        paths.graphics / TEXT[request.language]["others"] / "gnuplot" / folder / file_name(request)
    )


def archive_path(paths: StatsPaths, request: GraphicRequest) -> Path:
    """webGraphics/archives/daily/<ft>/<name>/<YYYY>/<Month>/<DD>.png of end - 60 s."""
    tm = time.gmtime(request.end - 60)
    language = request.language
    return (
        paths.graphics_archives
        / TEXT[language]["daily"]
        / request.file_type
        / safe_component(_folder(request.entity))
        / f"{tm.tm_year:04d}"
        / i18n.MONTHS[language][tm.tm_mon - 1]
        / f"{tm.tm_mday:02d}.png"
    )


def columbo_path(paths: StatsPaths, request: GraphicRequest) -> Path:
    """webGraphics/columbo/<name>_<language>.png: always the latest graphic."""
    name = _folder(request.entity)
    return paths.web_graphics / COLUMBO / safe_component(f"{name}_{request.language}.png")
