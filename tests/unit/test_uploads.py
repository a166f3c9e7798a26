"""Uploaded files: kind by content, size limits, images stored without metadata, GPS read before stripping."""

import io

import pytest
from PIL import Image

from core.errors import Invalid, NotFound, TooLarge
from ingest import uploads


def _jpeg_with_gps(lon=121.4737, lat=31.2304):
    """A JPEG whose EXIF carries a GPS position, a capture time and a camera model."""
    img = Image.new("RGB", (64, 48), (120, 90, 60))
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"
    gps = exif.get_ifd(uploads.EXIF_GPS_IFD)
    gps[1], gps[3] = "N", "E"
    gps[2] = (31.0, 13.0, (lat - 31 - 13 / 60) * 3600)
    gps[4] = (121.0, 28.0, (lon - 121 - 28 / 60) * 3600)
    exif.get_ifd(uploads.EXIF_IFD)[uploads.EXIF_DATETIME_ORIGINAL] = "2026:11:28 09:30:00"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_gps_and_time_are_read_then_stripped():
    raw = _jpeg_with_gps()
    assert b"SecretCam" in raw
    up = uploads.accept(raw)
    assert up.kind == "jpeg" and up.media_type == "image/jpeg"
    assert up.lon == pytest.approx(121.4737, abs=1e-5) and up.lat == pytest.approx(31.2304, abs=1e-5)
    assert up.taken_at.isoformat() == "2026-11-28T09:30:00"
    assert b"SecretCam" not in up.content and b"Exif" not in up.content
    assert not Image.open(io.BytesIO(up.content)).getexif()


def test_kind_comes_from_content_not_name():
    with pytest.raises(Invalid, match="not a PDF, PNG, JPEG"):
        uploads.accept(b"<html><script>alert(1)</script></html>", field="report.pdf")
    with pytest.raises(Invalid):
        uploads.accept(b"%PDF-1.7\n1 0 obj\n", allowed=("pdf",))  # truncated, no %%EOF
    pdf = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert uploads.accept(pdf).kind == "pdf"
    with pytest.raises(Invalid):
        uploads.accept(pdf, allowed=("png", "jpeg"))
    with pytest.raises(Invalid):
        uploads.accept(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)  # a PNG signature on garbage


def test_size_and_pixel_limits():
    with pytest.raises(TooLarge):
        uploads.accept(b"%PDF-" + b"0" * 200, max_bytes=100)
    big = io.BytesIO()
    Image.new("1", (8000, 6000)).save(big, "PNG")
    with pytest.raises(TooLarge, match="pixels"):
        uploads.accept(big.getvalue())


def test_store_is_by_hash_and_load_refuses_other_names(tmp_path):
    up = uploads.accept(_jpeg_with_gps())
    path = uploads.store(tmp_path, up)
    assert path.name == up.filename and uploads.store(tmp_path, up) == path
    assert uploads.load(tmp_path, up.filename) == up.content
    for name in ("../../etc/passwd", up.sha256 + ".html", "0" * 64 + ".jpg"):
        with pytest.raises(NotFound):
            uploads.load(tmp_path, name)


def test_near_identical_photos_have_close_hashes():
    a = uploads.accept(_jpeg_with_gps())
    img = Image.open(io.BytesIO(a.content)).resize((60, 45))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    b = uploads.accept(out.getvalue())
    assert uploads.hamming(a.phash, b.phash) <= 6
