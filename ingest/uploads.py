"""Uploaded evidence files and photos: type by content, bounded size, images re-encoded without metadata.

Used by the accountability workflow (licences, evidence, audit reports) and by citizen reports (photos).
A file's kind comes from its first bytes, never from its name or declared type. Images are decoded with
Pillow under a pixel limit and written again from their pixels only, so EXIF (GPS, camera, time), XMP,
ICC and text chunks never reach storage; the GPS position and time are read first so that callers can
offer them to the user. Stored files are named by their SHA-256, so the same file is stored once.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import Invalid, NotFound, TooLarge

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; bigger is refused, not decoded (decompression bombs)
MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
EXIF_GPS_IFD, EXIF_IFD = 0x8825, 0x8769
EXIF_DATETIME_ORIGINAL, EXIF_DATETIME = 0x9003, 0x0132


@dataclass(frozen=True)
class Upload:
    """A checked file: what it is, its bytes as stored, and what was read from it before stripping."""

    kind: str
    content: bytes
    sha256: str
    lon: float | None = None
    lat: float | None = None
    taken_at: datetime | None = None
    phash: str | None = None

    @property
    def media_type(self) -> str:
        """The MIME type it is served with."""
        return MEDIA_TYPES[self.kind]

    @property
    def filename(self) -> str:
        """The stored (and downloaded) file name: its hash and the extension of its kind."""
        return f"{self.sha256}.{'jpg' if self.kind == 'jpeg' else self.kind}"


def sniff(data: bytes) -> str | None:
    """The kind of a file from its signature, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def accept(data: bytes, allowed: tuple[str, ...] = ("pdf", "png", "jpeg"), max_bytes: int = MAX_BYTES,
           field: str = "file") -> Upload:
    """Check one uploaded file and return it ready to store; Invalid or TooLarge with the reason."""
    if len(data) > max_bytes:
        raise TooLarge(f"{field}: {len(data):,} bytes, the limit is {max_bytes:,}")
    if not data:
        raise Invalid(f"{field}: the file is empty")
    kind = sniff(data)
    if kind not in allowed:
        names = ", ".join(k.upper() for k in allowed)
        raise Invalid(f"{field}: not a {names} file (checked by its content, not its name)")
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise Invalid(f"{field}: the PDF is truncated (no end-of-file marker)")
        return Upload("pdf", data, hashlib.sha256(data).hexdigest())
    return _image(data, kind, field)


def _image(data: bytes, kind: str, field: str) -> Upload:
    """Decode, read GPS and time, and re-encode an image from its pixels alone."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise TooLarge(f"{field}: {probe.width}x{probe.height} pixels, the limit is {MAX_PIXELS:,}")
            probe.verify()
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid(f"{field}: the image cannot be read ({exc.__class__.__name__})") from None
    exif = img.getexif()
    lon, lat = _gps(exif)
    taken = _taken(exif)
    img = ImageOps.exif_transpose(img)  # keep the orientation the camera meant, then drop the tag
    out = io.BytesIO()
    if kind == "jpeg":
        img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    else:
        mode = img.mode if img.mode in ("RGB", "RGBA", "L", "LA", "P") else "RGBA"
        img.convert(mode).save(out, "PNG", optimize=True)
    content = out.getvalue()
    return Upload(kind, content, hashlib.sha256(content).hexdigest(), lon, lat, taken, dhash(img))


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    """WGS84 longitude and latitude from EXIF GPS tags (degrees, minutes, seconds and a hemisphere)."""
    gps = exif.get_ifd(EXIF_GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lon, 7), round(lat, 7)


def _degrees(dms: tuple, ref: str | bytes, negative: str) -> float:
    """Decimal degrees from an EXIF (degrees, minutes, seconds) triple."""
    d, m, s = (float(v) for v in dms)
    ref = ref.decode() if isinstance(ref, bytes) else ref
    value = d + m / 60 + s / 3600
    return -value if ref.strip().upper() == negative else value


def _taken(exif: Image.Exif) -> datetime | None:
    """The local time a photo was taken, from EXIF (no time zone: cameras do not record one)."""
    raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def dhash(img: Image.Image, size: int = 8) -> str:
    """A 64-bit difference hash (16 hex digits): near-identical photos differ in a few bits."""
    small = img.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
    px = small.tobytes()
    bits = 0
    for row in range(size):
        for col in range(size):
            bits = (bits << 1) | (px[row * (size + 1) + col] > px[row * (size + 1) + col + 1])
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    """The number of differing bits between two hashes of `dhash`."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def store(root: Path, upload: Upload) -> Path:
    """Write a checked file under `root` by its hash (idempotent) and return its path."""
    path = root / upload.sha256[:2] / upload.filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(upload.content)
        tmp.replace(path)
    return path


def load(root: Path, filename: str) -> bytes:
    """The bytes of a stored file by its stored name; NotFound for anything else."""
    stem, _, ext = filename.partition(".")
    if len(stem) != 64 or any(c not in "0123456789abcdef" for c in stem) or ext not in ("pdf", "png", "jpg"):
        raise NotFound("no such file")
    path = root / stem[:2] / filename
    if not path.is_file():
        raise NotFound("no such file")
    return path.read_bytes()
