"""The minimal PDF writer: a well-formed file (xref offsets point at their objects), Cyrillic and Kazakh
text encoded through the embedded font and mapped back by ToUnicode, and a QR code drawn on the page."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
import qrcode

from registry_api.exceptions import ConfigurationError
from registry_api.services.pdf import Block, load_font, render_pdf

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="DejaVu Sans is not installed on this machine")


def _objects(pdf: bytes) -> dict[int, bytes]:
    found = re.search(rb"startxref\n(\d+)", pdf)
    assert found is not None
    start = int(found.group(1))
    table = pdf[start:].split(b"trailer")[0].split(b"\n")
    count = int(table[1].split()[1])
    offsets = [int(line[:10]) for line in table[3 : 2 + count]]
    out = {}
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
        out[number] = pdf[offset : pdf.index(b"endobj", offset)]
    return out


def _ref(body: bytes, key: bytes) -> int:
    found = re.search(rb"/" + key + rb" (\d+) 0 R", body)
    assert found is not None
    return int(found.group(1))


def _content_streams(objects: dict[int, bytes]) -> list[str]:
    pages = [body for body in objects.values() if b"/Type /Page " in body]
    return [_stream(objects[_ref(page, b"Contents")]).decode() for page in pages]


def _to_unicode(objects: dict[int, bytes]) -> str:
    font = next(body for body in objects.values() if b"/Subtype /Type0" in body)
    return _stream(objects[_ref(font, b"ToUnicode")]).decode()


def _stream(obj: bytes) -> bytes:
    raw = obj[obj.index(b"stream\n") + 7 : obj.rindex(b"\nendstream")]
    return zlib.decompress(raw)


def test_text_round_trips_through_the_embedded_font_and_to_unicode() -> None:
    text = "Разрешение Қазақстан"
    pdf = render_pdf([Block(text, 12)], qr_url="https://r.kz/verify/P-1", font_path=FONT, title="Т")
    assert pdf.startswith(b"%PDF-1.7") and pdf.rstrip().endswith(b"%%EOF")
    objects = _objects(pdf)
    [content] = _content_streams(objects)
    hex_runs = re.findall(r"<([0-9A-F]+)> Tj", content)
    to_unicode = _to_unicode(objects)
    mapping = {
        int(g, 16): chr(int(u, 16)) for g, u in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})>", to_unicode)
    }
    decoded = "".join(mapping[int(run[i : i + 4], 16)] for run in hex_runs for i in range(0, len(run), 4))
    assert decoded == text
    font = load_font(FONT)
    assert all(font.glyph(c) != 0 for c in text)  # every letter has a real glyph, none falls back to .notdef


def test_the_qr_code_is_drawn_as_dark_modules() -> None:
    pdf = render_pdf([Block("x")], qr_url="https://r.kz/verify/P-1", font_path=FONT, title="t")
    [content] = _content_streams(_objects(pdf))
    qr_ops = next(line for line in content.splitlines() if line.startswith("0 g "))
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data("https://r.kz/verify/P-1")
    code.make(fit=True)
    assert qr_ops.count(" re") == sum(sum(row) for row in code.get_matrix())


def test_long_text_flows_onto_more_pages_and_nothing_is_lost() -> None:
    words = [f"слово{i}" for i in range(3000)]
    pdf = render_pdf([Block(" ".join(words))], qr_url="u", font_path=FONT, title="t")
    objects = _objects(pdf)
    pages = _content_streams(objects)
    assert len(pages) > 1
    mapping = {
        int(g, 16): chr(int(u, 16))
        for g, u in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})>", _to_unicode(objects))
    }
    text = " ".join(
        "".join(mapping[int(run[i : i + 4], 16)] for i in range(0, len(run), 4))
        for page in pages
        for run in re.findall(r"<([0-9A-F]+)> Tj", page)
    )
    assert text.split() == words


def test_a_missing_font_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ConfigurationError):
        render_pdf([Block("x")], qr_url="u", font_path=tmp_path / "none.ttf", title="t")
