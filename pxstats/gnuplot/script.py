"""The gnuplot program of a multi-panel graphic, built as text (spec graphics_web.md §2.2).

Pure: no I/O, no clock. The same `Picture` always gives the same bytes, so tests pin the
program as golden text and `render` only has to run it.

Every string placed in the program goes through `quote`: a single-quoted gnuplot string
(no backquote, macro or backslash processing inside it), `'` doubled, control characters
and characters the libgd built-in font cannot draw replaced by `?`. A client, product or
file name taken from a log therefore never runs a command and never ends its string.

The program is sent as ISO-8859-1 bytes (`encode`): the built-in `medium` font draws bytes
with an ISO-8859-2 glyph table, so only the characters that are the same in both tables
(`é`, `ç`, `ü`, ...) are kept; `quote` has already replaced every other one.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 1280  # pixels
SCREEN_HEIGHT = 768  # the original's unscaled screen
BAND = 0.40  # height of one panel band, in original screen units
PLOT_WIDTH = 0.545  # plot rectangle width, also the x of the text block
PLOT_HEIGHT = 0.37
TEXT_TOP = 0.26  # first text line, above the band's bottom
TEXT_PITCH = 0.02
OUTPUT_NAME = "graphic.png"  # relative: render runs gnuplot inside a private folder
INITIAL_Y_FORMAT = "%10.0f"

COLOURS = {1: "#ff0000", 2: "#4169e1", 3: "#228b22", 4: "#a020f0"}  # line types 1-4
BACKGROUND = "#ffffff"
BORDER = "#000000"
GRID = "#404040"


def _drawable() -> frozenset:
    """Printable ASCII plus the Latin-1 letters that the ISO-8859-2 glyph table draws alike."""
    same = {
        chr(b)
        for b in range(0xA0, 0x100)
        if bytes([b]).decode("latin-1") == bytes([b]).decode("iso8859_2")
    }
    return frozenset({chr(c) for c in range(0x20, 0x7F)} | same)


DRAWABLE = _drawable()


def clean(text) -> str:
    """The text as it will be drawn: anything not drawable (newline, CR, NUL, other control
    characters, letters outside the font) becomes '?'."""
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch if ch in DRAWABLE else "?" for ch in text)


def quote(text) -> str:
    """THE escaping function: `text` as a single-quoted gnuplot string literal."""
    return "'" + clean(text).replace("'", "''") + "'"


def height(panels: int) -> int:
    """int(768 x 0.4 x panels) pixels, in integer arithmetic (307.2 px per panel)."""
    return SCREEN_HEIGHT * 4 * panels // 10


@dataclass(frozen=True)
class Panel:
    """One band: its impulses, axis label, title lines and right-hand text lines."""

    line_type: int  # 1 latency, 2 bytecount, 3 filecount, 4 errors
    ylabel: str
    title: tuple[str, ...]  # lines, top to bottom
    labels: tuple[tuple[int, str], ...]  # (line index i, text)
    points: tuple[tuple[int, float], ...]  # (epoch second, value)
    y_format: str | None = None  # set before this panel when given


@dataclass(frozen=True)
class Picture:
    """Panels drawn in order, panel 0 in the bottom band."""

    panels: tuple[Panel, ...]
    xlabel: str
    xtics: tuple[tuple[str, int], ...]  # (label, epoch second)
    xrange: tuple[int, int] | None = None

    @property
    def size(self) -> tuple[int, int]:
        return WIDTH, height(len(self.panels))


def _number(value: float) -> str:
    return "%.6f" % value


def _title(lines) -> str:
    return '."\\n".'.join(quote(line) for line in lines)


def _data(points) -> str:
    return "".join("%d %.12g\n" % (x, y) for x, y in points)


def program(picture: Picture) -> str:
    """The complete gnuplot program (commands and inline data) for `picture`."""
    if not picture.panels:
        raise ValueError("a picture needs at least one panel")
    n_panels = len(picture.panels)
    scale = BAND * n_panels  # the old `set size 1.0, S` canvas scaling
    width, pixels = picture.size
    out = [
        f"set terminal png medium size {width},{pixels} background {quote(BACKGROUND)} noenhanced",
        f"set output {quote(OUTPUT_NAME)}",
        f"set border lc rgb {quote(BORDER)}",
    ]
    out += [f"set linetype {lt} lc rgb {quote(colour)} lw 1" for lt, colour in COLOURS.items()]
    out += [
        "set size 1,1",
        f"set xlabel {quote(picture.xlabel)}",
        f"set grid lt 0 lc rgb {quote(GRID)}",
        f"set format y {quote(INITIAL_Y_FORMAT)}",
        "set xtics (" + ", ".join(f"{quote(label)} {int(x)}" for label, x in picture.xtics) + ")",
    ]
    if picture.xrange is not None:
        out.append(f"set xrange [{int(picture.xrange[0])}:{int(picture.xrange[1])}]")
    out += ["set style data impulses", "set multiplot"]
    text = []
    for n, panel in enumerate(picture.panels):
        if panel.y_format is not None:
            out.append(f"set format y {quote(panel.y_format)}")
        out += [
            f"set size {PLOT_WIDTH}, {_number(PLOT_HEIGHT / scale)}",
            f"set origin 0, {_number(BAND * n / scale)}",
            f"set ylabel {quote(panel.ylabel)}",
            "unset label",
        ]
        for i, label in panel.labels:
            y = (TEXT_TOP - TEXT_PITCH * i + BAND * n) / scale
            out.append(f"set label {quote(label)} at screen {PLOT_WIDTH}, screen {_number(y)}")
        out.append(f"set title {_title(panel.title)}")
        out.append(f"plot '-' notitle with impulses lt {int(panel.line_type)} lw 1")
        text.append("\n".join(out) + "\n" + _data(panel.points) + "e\n")
        out = []
    text.append("unset multiplot\nset output\n")
    return "".join(text)


def encode(program_text: str) -> bytes:
    """The bytes sent to gnuplot (ISO-8859-1; `quote` left nothing else in strings)."""
    return program_text.encode("latin-1", errors="replace")
