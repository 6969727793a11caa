"""A minimal PDF writer for results: A4 pages of wrapped Unicode text and a QR code.

No PDF library is installed, so this writes PDF 1.7 objects directly. Kazakh and Russian text needs a
Unicode font: a TrueType file (DejaVu Sans by default, configurable) is embedded whole as a CIDFontType2
with Identity-H encoding, glyph widths from ``hmtx`` and a ToUnicode map so the text stays searchable
and copyable. The QR code (``qrcode`` package, its module matrix only) is drawn as filled squares.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import qrcode

from registry_api.exceptions import ConfigurationError

PAGE_WIDTH, PAGE_HEIGHT = 595.0, 842.0  # A4 in points
MARGIN = 50.0
QR_SIZE = 110.0


@dataclass(frozen=True, slots=True)
class TrueTypeFont:
    """The parts of a TrueType file a PDF needs: glyph ids, advance widths, metrics and the bytes."""

    data: bytes
    units_per_em: int
    glyph_of: dict[int, int]
    advances: tuple[int, ...]
    ascent: int
    descent: int
    bbox: tuple[int, int, int, int]

    def glyph(self, char: str) -> int:
        return self.glyph_of.get(ord(char), 0)

    def width(self, gid: int) -> int:
        """Advance width in PDF text-space units (1/1000 em)."""
        advance = self.advances[min(gid, len(self.advances) - 1)]
        return round(advance * 1000 / self.units_per_em)


def _tables(data: bytes) -> dict[str, bytes]:
    (num_tables,) = struct.unpack_from(">H", data, 4)
    out: dict[str, bytes] = {}
    for i in range(num_tables):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        out[tag.decode("latin-1")] = data[offset : offset + length]
    return out


def _cmap_format4(cmap: bytes) -> dict[int, int]:
    (_version, count) = struct.unpack_from(">HH", cmap, 0)
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        if (platform, encoding) == (3, 1) and struct.unpack_from(">H", cmap, offset)[0] == 4:
            return _parse_format4(cmap, offset)
    raise ConfigurationError("the PDF font has no Unicode BMP (3,1 format 4) cmap")


def _parse_format4(cmap: bytes, base: int) -> dict[int, int]:
    seg_x2 = struct.unpack_from(">H", cmap, base + 6)[0]
    segs = seg_x2 // 2
    ends = struct.unpack_from(f">{segs}H", cmap, base + 14)
    starts = struct.unpack_from(f">{segs}H", cmap, base + 16 + seg_x2)
    deltas = struct.unpack_from(f">{segs}h", cmap, base + 16 + 2 * seg_x2)
    range_base = base + 16 + 3 * seg_x2
    offsets = struct.unpack_from(f">{segs}H", cmap, range_base)
    mapping: dict[int, int] = {}
    for i in range(segs):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if offsets[i] == 0:
                gid = (code + deltas[i]) & 0xFFFF
            else:
                where = range_base + 2 * i + offsets[i] + 2 * (code - starts[i])
                gid = struct.unpack_from(">H", cmap, where)[0]
                gid = (gid + deltas[i]) & 0xFFFF if gid else 0
            if gid:
                mapping[code] = gid
    return mapping


@lru_cache(maxsize=4)
def load_font(path: Path) -> TrueTypeFont:
    """Parse a TrueType font once per process; a missing or broken file is a configuration error."""
    try:
        data = path.read_bytes()
        tables = _tables(data)
        head, hhea, hmtx = tables["head"], tables["hhea"], tables["hmtx"]
        units_per_em = struct.unpack_from(">H", head, 18)[0]
        bbox = struct.unpack_from(">4h", head, 36)
        ascent, descent = struct.unpack_from(">hh", hhea, 4)
        metrics = struct.unpack_from(">H", hhea, 34)[0]
        advances = tuple(struct.unpack_from(">H", hmtx, 4 * i)[0] for i in range(metrics))
        glyph_of = _cmap_format4(tables["cmap"])
    except (OSError, KeyError, struct.error) as exc:
        raise ConfigurationError(f"cannot use {path} as the PDF font: {exc}") from exc
    return TrueTypeFont(data, units_per_em, glyph_of, advances, ascent, descent, bbox)


@dataclass(slots=True)
class _Layout:
    """Pages of content operators, filled top to bottom; a new page starts when one is full."""

    font: TrueTypeFont
    pages: list[list[str]] = field(default_factory=lambda: [[]])
    used: dict[int, str] = field(default_factory=dict)
    y: float = PAGE_HEIGHT - MARGIN

    def text_width(self, text: str, size: float) -> float:
        return sum(self.font.width(self.font.glyph(c)) for c in text) * size / 1000

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if current and self.text_width(candidate, size) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        return [*lines, current] if current else lines

    def line(self, text: str, size: float, *, width: float | None = None) -> None:
        for chunk in self.wrap(text, size, width or PAGE_WIDTH - 2 * MARGIN):
            if self.y - size < MARGIN:
                self.pages.append([])
                self.y = PAGE_HEIGHT - MARGIN
            gids = [self.font.glyph(c) for c in chunk]
            for c, g in zip(chunk, gids, strict=True):
                self.used.setdefault(g, c)
            hex_text = "".join(f"{g:04X}" for g in gids)
            self.pages[-1].append(
                f"BT /F1 {size:g} Tf {MARGIN:.2f} {self.y - size:.2f} Td <{hex_text}> Tj ET"
            )
            self.y -= size * 1.35

    def qr(self, url: str, *, x: float, y: float, size: float) -> None:
        code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(url)
        code.make(fit=True)
        matrix = code.get_matrix()
        cell = size / len(matrix)
        rects = [
            f"{x + c * cell:.2f} {y + size - (r + 1) * cell:.2f} {cell:.2f} {cell:.2f} re"
            for r, row in enumerate(matrix)
            for c, dark in enumerate(row)
            if dark
        ]
        self.pages[-1].append("0 g " + " ".join(rects) + " f")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph: text and font size; ``gap`` adds space after it."""

    text: str
    size: float = 10.0
    gap: float = 4.0


def _to_unicode(used: dict[int, str]) -> bytes:
    entries = "\n".join(f"<{g:04X}> <{ord(c):04X}>" for g, c in sorted(used.items()) if ord(c) <= 0xFFFF)
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(used)} beginbfchar\n{entries}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()


def render_pdf(blocks: list[Block], *, qr_url: str, font_path: Path, title: str) -> bytes:
    """A4 pages with the blocks top to bottom and the QR code (to ``qr_url``) at the top right of page 1."""
    font = load_font(font_path)
    layout = _Layout(font)
    layout.qr(qr_url, x=PAGE_WIDTH - MARGIN - QR_SIZE, y=PAGE_HEIGHT - MARGIN - QR_SIZE, size=QR_SIZE)
    beside_qr = PAGE_WIDTH - 2 * MARGIN - QR_SIZE - 10
    qr_bottom = PAGE_HEIGHT - MARGIN - QR_SIZE - 10
    for block in blocks:
        next_to_qr = len(layout.pages) == 1 and layout.y > qr_bottom
        layout.line(block.text, block.size, width=beside_qr if next_to_qr else None)
        layout.y -= block.gap
    scale = 1000 / font.units_per_em
    widths = " ".join(f"{g} [{font.width(g)}]" for g in sorted(layout.used))
    font_file = zlib.compress(font.data)
    x0, y0, x1, y1 = (round(v * scale) for v in font.bbox)
    first_page = 9  # objects 1-8 are fixed; each page adds a page object and its content stream
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(layout.pages)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(layout.pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Embedded /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>",
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Embedded "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor 5 0 R /CIDToGIDMap /Identity /W [{widths}] >>".encode(),
        f"<< /Type /FontDescriptor /FontName /Embedded /Flags 32 /FontBBox [{x0} {y0} {x1} {y1}] "
        f"/ItalicAngle 0 /Ascent {round(font.ascent * scale)} /Descent {round(font.descent * scale)} "
        f"/CapHeight {round(font.ascent * scale)} /StemV 80 /FontFile2 7 0 R >>".encode(),
        _stream(_to_unicode(layout.used)),
        b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n" % (len(font_file), len(font.data))
        + font_file
        + b"\nendstream",
        b"<< /Title " + _pdf_text(title) + b" /Producer (permitchain registry_api) >>",
    ]
    for i, ops in enumerate(layout.pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH:g} {PAGE_HEIGHT:g}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {first_page + 2 * i + 1} 0 R >>".encode()
        )
        objects.append(_stream("\n".join(ops).encode()))
    return _assemble(objects, info=8)


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"


def _pdf_text(text: str) -> bytes:
    """A PDF text string in UTF-16BE with BOM (titles may be Cyrillic)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _assemble(objects: list[bytes], *, info: int) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    return bytes(out)
