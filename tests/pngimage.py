"""Decoding of the PNGs the tests draw (no extra dependency): a test checks that an image is
complete and drawn, not only that a file exists."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png_chunks(path: Path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def png_size(path: Path) -> tuple[int, int]:
    kind, body = png_chunks(path)[0]
    assert kind == b"IHDR"
    return struct.unpack(">II", body[:8])


def png_pixels(path: Path) -> list[list[tuple[int, int, int]]]:
    """Rows of RGB pixels (8-bit palette or RGB images, any filter)."""
    chunks = png_chunks(path)
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert depth == 8 and colour in (2, 3)
    palette = next((body for kind, body in chunks if kind == b"PLTE"), b"")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    bpp = 1 if colour == 3 else 3
    stride = width * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        if kind:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 2:
                    line[x] = (line[x] + b) & 255
                elif kind == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (
                        line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)
                    ) & 255
        rows.append(bytes(line))
        prev = line
    if colour == 3:
        colours = [tuple(palette[k : k + 3]) for k in range(0, len(palette), 3)]
        return [[colours[v] for v in row] for row in rows]
    return [[tuple(row[k : k + 3]) for k in range(0, stride, 3)] for row in rows]


def assert_valid_png(path: Path, width: int, height: int) -> None:
    """The file is a complete PNG of width x height whose pixels decode, and not blank."""
    assert png_size(path) == (width, height)
    pixels = png_pixels(path)
    assert len(pixels) == height and all(len(row) == width for row in pixels)
    assert len({px for row in pixels for px in row}) > 1, "blank image"


def decoded_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG after decoding every pixel and checking it is not blank."""
    size = png_size(path)
    assert_valid_png(path, *size)
    return size
