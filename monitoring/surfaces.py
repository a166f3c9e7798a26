"""PM2.5 surfaces for an hour or a day: station values from the database, interpolated, kept as COG files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from core import parse
from core.errors import Invalid
from geo.surface import StationValue, idw, write_cog
from standards import aqi

BEIJING = aqi.CHINA
HOUR = """
SELECT ST_X(s.geom), ST_Y(s.geom), r.pm25 FROM air_readings r JOIN stations s ON s.id = r.station_id
WHERE r.observed_at = %(at)s AND r.pm25 IS NOT NULL AND s.kind = 'air' ORDER BY s.id"""
# A daily mean needs at least 20 valid hours (the completeness rule for 24-hour averages).
DAY = """
SELECT ST_X(s.geom), ST_Y(s.geom), avg(r.pm25) FROM air_readings r JOIN stations s ON s.id = r.station_id
WHERE r.observed_at >= %(lo)s AND r.observed_at < %(hi)s AND r.pm25 IS NOT NULL AND s.kind = 'air'
GROUP BY s.id, s.geom HAVING count(*) >= 20 ORDER BY s.id"""


class SurfaceError(Invalid):
    """No surface for that time (bad time, or too few stations reporting)."""


@dataclass(frozen=True)
class When:
    """An hour (`at`, UTC-aware) or a Beijing calendar day."""

    at: datetime | None = None
    day: date | None = None
    cutover: date = aqi.CUTOVER  # first local date of HJ 633-2026 (the service's BLUEMAP_AQI_CUTOVER)

    @property
    def key(self) -> str:
        """hYYYYmmddTHH or dYYYYmmdd, for file names."""
        return f"h{self.at:%Y%m%dT%H}" if self.at else f"d{self.day:%Y%m%d}"

    @property
    def label(self) -> str:
        """The hour (Beijing time, ISO 8601) or the day, for people."""
        return self.at.astimezone(BEIJING).isoformat() if self.at else str(self.day)

    @property
    def version(self) -> str:
        """The AQI standard in force at that time, by its local (Asia/Shanghai) date."""
        return aqi.version_for(self.at or self.day, self.cutover)  # type: ignore[arg-type]


def parse_when(time_text: str | None, date_text: str | None, conn, cutover: date = aqi.CUTOVER) -> When:
    """?time=ISO hour, or ?date=YYYY-MM-DD, or (neither) the latest hour with readings; `cutover` as configured."""
    when = _parse_when(time_text, date_text, conn)
    return When(when.at, when.day, cutover)


def _parse_when(time_text: str | None, date_text: str | None, conn) -> When:
    if time_text and date_text:
        raise SurfaceError("give time or date, not both")
    if date_text:
        return When(day=parse.day("date", date_text))
    if time_text:
        try:
            at = datetime.fromisoformat(time_text)
        except ValueError:
            raise SurfaceError(
                f"time must be an ISO 8601 hour, e.g. 2017-02-28T23:00+08:00; got {time_text!r}") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=BEIJING)  # local (Beijing) time when no offset is given
        if at.minute or at.second or at.microsecond:
            raise SurfaceError("time must be on the hour")
        return When(at=at.astimezone(UTC))
    row = conn.execute("SELECT max(observed_at) FROM air_readings WHERE pm25 IS NOT NULL").fetchone()
    if not row or row[0] is None:
        raise SurfaceError("no PM2.5 readings are loaded")
    return When(at=row[0].astimezone(UTC))


def available(conn) -> tuple[datetime | None, datetime | None]:
    """The first and last hour with a PM2.5 reading (None, None when there is none)."""
    lo, hi = conn.execute("SELECT min(observed_at), max(observed_at) FROM air_readings "
                          "WHERE pm25 IS NOT NULL").fetchone()
    return lo, hi


def station_values(conn, when: When) -> list[StationValue]:
    """PM2.5 per station for the hour or the day (µg/m3)."""
    if when.at:
        rows = conn.execute(HOUR, {"at": when.at}).fetchall()
    else:
        lo = datetime.combine(when.day, datetime.min.time(), BEIJING)  # type: ignore[arg-type]
        rows = conn.execute(DAY, {"lo": lo, "hi": lo + timedelta(days=1)}).fetchall()
    return [StationValue(float(x), float(y), float(v)) for x, y, v in rows]


def surface(conn, root: Path, when: When, data_version: int) -> Path:
    """The COG for `when` (built on first use; the data version in its name retires stale files)."""
    path = root / f"pm25-{when.key}-v{data_version}.tif"
    if path.exists():
        return path
    values = station_values(conn, when)
    try:
        grid, transform = idw(values)
    except ValueError as exc:
        raise SurfaceError(f"no surface for {when.label}: {exc}") from None
    return write_cog(path, grid, transform, {
        "quantity": "PM2.5 (µg/m3)", "time": when.label, "method": "inverse distance weighting, power 2",
        "stations": str(len(values)), "source": "bluemap air_readings"})
