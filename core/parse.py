"""One parser for what users send: booleans, numbers, dates, bboxes, tile addresses, GeoJSON polygons.

Every function takes the argument's name (for the message) and its raw text, and returns the typed
value or raises `Invalid` with a reason; `None` and "" mean "missing" where a default is given.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from core.errors import Invalid

TRUE = ("true", "1", "yes", "y", "是")
FALSE = ("false", "0", "no", "n", "否")
MISSING = ("", "na", "n/a", "nan", "null", "none", "-", "--", "—")
MAX_ZOOM = 22
MAX_POLYGON_CHARS = 1_000_000
MAX_POLYGON_VERTICES = 10_000
_DATE_FORMS = (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
               r"(\d{4})年(\d{1,2})月(\d{1,2})日?", r"(\d{4})(\d{2})(\d{2})")

_UNSET: Any = object()
# C0 controls other than tab, newline and carriage return, and DEL: never meaningful in a parameter, and NUL
# is refused by PostgreSQL text values (it would surface as a server error).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
INT32 = (-(2**31), 2**31 - 1)  # an `integer` column's range


def _default(name: str, default: Any, hint: str = "") -> Any:
    """What a missing value stands for: the default, or Invalid when the argument is required."""
    if default is _UNSET:
        raise Invalid(f"{name} is required{hint}")
    return default


def _missing(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def boolean(name: str, raw: object, default: bool | None = None) -> bool:
    """true/false, 1/0, yes/no (and 是/否); `default` when missing, else Invalid."""
    if isinstance(raw, bool):
        return raw
    if _missing(raw):
        if default is None:
            raise Invalid(f"{name} is required (true or false)")
        return default
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise Invalid(f"{name} must be true or false; got {raw!r}")


def integer(name: str, raw: object, lo: int | None = None, hi: int | None = None, default: Any = _UNSET) -> int:
    """A whole number within lo..hi (either bound optional); `default` when missing, else Invalid."""
    if _missing(raw):
        return _default(name, default)
    if isinstance(raw, bool):
        raise Invalid(f"{name} must be an integer; got {raw!r}")
    try:
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        raise Invalid(f"{name} must be an integer{_range(lo, hi)}; got {raw!r}") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise Invalid(f"{name} must be an integer{_range(lo, hi)}; got {value}")
    return value


def _range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if lo is not None:
        return f" of at least {lo}"
    return f" of at most {hi}" if hi is not None else ""


def number(name: str, raw: object, lo: float | None = None, hi: float | None = None,
           default: Any = _UNSET, missing: Iterable[str] = ()) -> float:
    """A finite number within lo..hi; `default` when missing (or one of `missing`'s words), else Invalid."""
    if _missing(raw) or (isinstance(raw, str) and raw.strip().lower() in missing):
        return _default(name, default)
    if isinstance(raw, bool):
        raise Invalid(f"{name} must be a number; got {raw!r}")
    try:
        value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
    except ValueError:
        raise Invalid(f"{name} must be a number; got {raw!r}") from None
    if not math.isfinite(value):
        raise Invalid(f"{name} must be a finite number; got {raw!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise Invalid(f"{name} must be a number{_range(lo, hi)}; got {value:g}")
    return value


def day(name: str, raw: object, default: Any = _UNSET, loose: bool = False) -> date:
    """A calendar date YYYY-MM-DD (with `loose`, also slashed, dotted, compact and 年月日 forms)."""
    if _missing(raw):
        return _default(name, default, " (a date YYYY-MM-DD)")
    text = str(raw).strip()
    for form in _DATE_FORMS if loose else _DATE_FORMS[:1]:
        m = re.fullmatch(form, text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise Invalid(f"{name}: impossible date {text!r} ({exc})") from None
    raise Invalid(f"{name} must be a date YYYY-MM-DD; got {text!r}")


def instant(name: str, raw: object) -> datetime:
    """An RFC 3339 date-time (Z or an offset; a naive value is refused) as an aware UTC datetime."""
    text = str(raw or "").strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be an RFC 3339 date-time such as 2026-03-01T08:00:00+08:00; "
                      f"got {text!r}") from None
    if value.tzinfo is None:
        raise Invalid(f"{name} needs a time zone (Z or +08:00); got {text!r}")
    return value.astimezone(UTC)


def clean(name: str, raw: object) -> str:
    """`raw` as text, refused when it holds control characters (NUL and the like)."""
    value = "" if raw is None else str(raw)
    if _CONTROL.search(value):
        raise Invalid(f"{name} must not contain control characters")
    return value


def choice(name: str, raw: object, choices: Iterable[str], default: str | None = None) -> str:
    """One of `choices`; `default` when missing (if given), else Invalid."""
    options = tuple(choices)
    if _missing(raw) and default is not None:
        return default
    text = clean(name, raw).strip()
    if text not in options:
        raise Invalid(f"{name} must be one of {', '.join(options)}; got {text!r}")
    return text


def choice_list(name: str, raw: object, choices: Iterable[str]) -> list[str]:
    """A comma-separated, non-empty list drawn from `choices`, sorted and without repeats."""
    options = tuple(choices)
    values = sorted({v.strip() for v in str(raw or "").split(",") if v.strip()})
    if not values or any(v not in options for v in values):
        raise Invalid(f"{name} takes a comma-separated list of {', '.join(options)}; got {raw!r}")
    return values


def text(name: str, raw: object, max_len: int = 200) -> str:
    """Non-empty text of at most `max_len` characters, stripped."""
    value = clean(name, raw).strip()
    if not value or len(value) > max_len:
        raise Invalid(f"{name} must be 1 to {max_len} characters")
    return value


def bbox(name: str, raw: object, allow_3d: bool = False,
         allow_degenerate: bool = False) -> tuple[float, float, float, float]:
    """`w,s,e,n` in WGS84 degrees: finite, lon in -180..180, lat in -90..90, w < e, s < n (with
    `allow_degenerate`, w <= e and s <= n: OGC API Features accepts a box shrunk to a line or a point)."""
    parts = [p.strip() for p in str(raw).split(",")]
    if allow_3d and len(parts) == 6:  # OGC API allows w,s,zmin,e,n,zmax
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise Invalid(f"{name} must be 4 comma-separated numbers w,s,e,n; got {raw!r}")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise Invalid(f"{name} must be 4 comma-separated numbers w,s,e,n; got {raw!r}") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise Invalid(f"{name} values must be finite numbers")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise Invalid(f"{name} longitudes must lie in -180..180; got {w}, {e}")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise Invalid(f"{name} latitudes must lie in -90..90; got {s}, {n}")
    if not ((w <= e and s <= n) if allow_degenerate else (w < e and s < n)):
        raise Invalid(f"{name} must be west,south,east,north with west < east and south < north")
    return (w, s, e, n)


def tile_address(z: object, x: object, y: object, max_zoom: int = MAX_ZOOM) -> tuple[int, int, int]:
    """z/x/y as integers inside the web-mercator pyramid (0 <= x, y < 2^z)."""
    try:
        zi, xi, yi = (int(str(v)) for v in (z, x, y))
    except ValueError:
        raise Invalid(f"z, x and y must be integers; got {z}/{x}/{y}") from None
    if not 0 <= zi <= max_zoom:
        raise Invalid(f"zoom {zi} outside 0..{max_zoom}")
    n = 1 << zi
    if not (0 <= xi < n and 0 <= yi < n):
        raise Invalid(f"tile {zi}/{xi}/{yi} does not exist: x and y run from 0 to {n - 1} at zoom {zi}")
    return zi, xi, yi


def polygon(name: str, raw: str) -> tuple[str, tuple[float, float, float, float]]:
    """A GeoJSON Polygon or MultiPolygon (or a Feature holding one) in WGS84: its GeoJSON text and bounds."""
    import shapely
    from shapely.geometry import mapping, shape

    if len(raw) > MAX_POLYGON_CHARS:
        raise Invalid(f"{name} is longer than {MAX_POLYGON_CHARS} characters")
    try:
        obj = json.loads(raw)
    except ValueError:
        raise Invalid(f"{name} must be a GeoJSON geometry (JSON text)") from None
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or obj.get("type") not in ("Polygon", "MultiPolygon"):
        raise Invalid(f"{name} must be a GeoJSON Polygon or MultiPolygon geometry")
    try:
        geom = shape(obj)
    except Exception:  # noqa: BLE001 - any malformed coordinate array
        raise Invalid(f"{name} coordinates are malformed") from None
    if geom.is_empty:
        raise Invalid(f"{name} is empty")
    if shapely.get_num_coordinates(geom) > MAX_POLYGON_VERTICES:
        raise Invalid(f"{name} has more than {MAX_POLYGON_VERTICES} vertices")
    w, s, e, n = geom.bounds
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise Invalid(f"{name} coordinates must be longitude, latitude in WGS84 degrees")
    if not geom.is_valid:
        raise Invalid(f"{name} is not valid: {shapely.is_valid_reason(geom)}")
    return json.dumps(mapping(geom)), (w, s, e, n)


def area_code(name: str, raw: object) -> str:
    """A 6-digit GB/T 2260 area code."""
    value = str(raw or "").strip()
    if not re.fullmatch(r"\d{6}", value):
        raise Invalid(f"{name} must be a 6-digit GB/T 2260 code (e.g. 110000 for Beijing); got {value!r}")
    return value
