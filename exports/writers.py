"""File writers: GeoJSON and CSV streamed from a server-side cursor; GeoPackage, Shapefile, KML and
FlatGeobuf written by GDAL (pyogrio) from a stream of Arrow record batches. Memory stays constant: rows
move in batches of BATCH from the database to the output."""

from __future__ import annotations

import csv
import io
import json
import queue
import shutil
import sys
import tempfile
import threading
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from psycopg import sql

from core.spreadsheet import safe_cell
from exports.formats import Format
from exports.selection import Source, key_column

BATCH = 5_000
FGB_INDEX_MAX_ROWS = 1_000_000
Progress = Callable[[int], None] | None


class _Refuse:
    """An import hook that makes some modules look absent."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"{name} is kept out of this export process", name=name)
        return None


def import_lean() -> None:
    """Keep geopandas and pandas (about 120 MB of resident memory, imported by pyogrio and by pyarrow on
    first use when installed) out of this process. Only for processes that do nothing but write exports
    (`bluemap export`, the benchmark): they stay unavailable here afterwards."""
    if any(m in sys.modules for m in ("pyogrio", "pandas", "geopandas")):
        return
    sys.meta_path.insert(0, _Refuse(("pandas", "geopandas")))  # type: ignore[arg-type]


def _pyogrio():
    import pyogrio

    # No .aux.xml side files next to exports.
    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})
    return pyogrio


# ---------------------------------------------------------------------------------------------- batches

def batches(conn: Any, query: sql.Composable, params: dict[str, Any], size: int = BATCH,
            binary: bool = False) -> Iterator[list[tuple]]:
    """Rows of `query` in lists of `size`, from a server-side cursor (the result never sits in memory)."""
    with conn.transaction():
        with conn.cursor(name=f"bluemap_export_{uuid.uuid4().hex[:12]}", binary=binary) as cur:
            cur.itersize = size
            cur.execute(query, params)
            while rows := cur.fetchmany(size):
                yield rows


def prefetched(items: Iterable[Any], depth: int = 2) -> Iterator[Any]:
    """Iterate `items` in a helper thread, `depth` ahead: the database computes the next batch while this
    thread formats or GDAL writes the current one (two cores, two stages)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    t = threading.Thread(target=run, name="export-prefetch", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while t.is_alive():
            try:
                q.get(timeout=0.2)
            except queue.Empty:
                pass
        t.join()
        close = getattr(items, "close", None)
        if close:
            close()


def _props(src: Source, cast: Callable[[str], sql.Composable] | None = None) -> sql.Composable:
    return sql.SQL(", ").join(cast(c) if cast else sql.SQL("f.{}").format(sql.Identifier(c))
                              for c in src.columns)


# ---------------------------------------------------------------------------------------------- GeoJSON

def geojson_query(src: Source) -> sql.Composed:
    """One RFC 7946 Feature per row, serialised by PostgreSQL (6 decimals, polygons counter-clockwise)."""
    geom = sql.SQL("f.geom") if src.layer.geometry == "point" else sql.SQL("ST_ForcePolygonCCW(f.geom)")
    return sql.SQL("""
        SELECT '{{"type":"Feature","id":' || coalesce(to_json(f.{key})::text, 'null')
               || ',"geometry":' || coalesce(ST_AsGeoJSON({geom}, 6), 'null')
               || ',"properties":' || row_to_json(p)::text || '}}'
        FROM ({src}) AS f, LATERAL (SELECT {props}) AS p""").format(
        key=sql.Identifier(key_column(src.layer)), geom=geom, src=src.query, props=_props(src))


def geojson_stream(conn: Any, src: Source, meta: dict[str, Any],
                   progress: Progress = None) -> Iterator[bytes]:
    """A FeatureCollection with a `metadata` foreign member (provenance) ahead of the features."""
    yield (('{"type":"FeatureCollection","metadata":' + json.dumps(meta, ensure_ascii=False)
            + ',"features":[\n').encode())
    first = True
    for rows in prefetched(batches(conn, geojson_query(src), src.params)):
        chunk = ",\n".join(r[0] for r in rows)
        yield (chunk if first else ",\n" + chunk).encode()
        first = False
        if progress:
            progress(len(rows))
    yield b"\n]}\n"


# ---------------------------------------------------------------------------------------------- CSV

def csv_header(src: Source) -> list[str]:
    """The CSV columns: lon, lat, wkt and the properties."""
    return ["lon", "lat", "wkt", *src.columns]


def csv_query(src: Source) -> sql.Composed:
    """Text columns: lon/lat (polygons: a point on the surface), WKT (6 decimals), every property as text."""
    pt = sql.SQL("f.geom") if src.layer.geometry == "point" else sql.SQL("ST_PointOnSurface(f.geom)")
    return sql.SQL("""
        SELECT trim_scale(round(ST_X({pt})::numeric, 6))::text,
               trim_scale(round(ST_Y({pt})::numeric, 6))::text,
               ST_AsText(f.geom, 6), {props}
        FROM ({src}) AS f""").format(
        pt=pt, src=src.query, props=_props(src, lambda c: sql.SQL("f.{}::text").format(sql.Identifier(c))))


def csv_stream(conn: Any, src: Source, bom: bool = False, progress: Progress = None) -> Iterator[bytes]:
    """UTF-8 CSV (RFC 4180, CRLF line ends); with `bom` a byte-order mark first, so Excel reads UTF-8. Text
    properties that a spreadsheet would run as a formula are quoted (core.spreadsheet); numbers stay numbers."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(csv_header(src))
    # Positions of the text properties in a row (after lon, lat and wkt).
    text = [3 + i for i, (_, kind) in enumerate(arrow_columns(conn, src)) if kind == "string"]
    yield (("\ufeff" if bom else "") + buf.getvalue()).encode()
    for rows in prefetched(batches(conn, csv_query(src), src.params)):
        buf.seek(0)
        buf.truncate()
        writer.writerows([_safe_text(row, text) for row in rows] if text else rows)
        yield buf.getvalue().encode()
        if progress:
            progress(len(rows))


def _safe_text(row: tuple, text: list[int]) -> list:
    out = list(row)
    for i in text:
        out[i] = safe_cell(out[i])
    return out


# ---------------------------------------------------------------------------------------------- GDAL formats

# PostgreSQL type OIDs -> how the column is selected and its Arrow type name.
_BOOL, _INT2, _INT4, _INT8, _FLOAT4, _FLOAT8, _NUMERIC, _DATE = 16, 21, 23, 20, 700, 701, 1700, 1082


def arrow_columns(conn: Any, src: Source) -> list[tuple[str, str]]:
    """(column, arrow type) of each property, from the query's result description."""
    cur = conn.execute(sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(src.query), src.params)
    types = {d.name: d.type_code for d in cur.description}
    out = []
    for c in src.columns:
        oid = types[c]
        kind = {_BOOL: "bool_", _INT2: "int32", _INT4: "int32", _INT8: "int64", _FLOAT4: "float64",
                _FLOAT8: "float64", _NUMERIC: "float64", _DATE: "date32"}.get(oid, "string")
        out.append((c, kind))
    return out


def _arrow_query(src: Source, cols: list[tuple[str, str]]) -> sql.Composed:
    casts = {"float64": "::float8", "string": "::text", "int32": "::int4", "int64": "::int8"}
    sel = sql.SQL(", ").join(sql.SQL("f.{}{}").format(sql.Identifier(c), sql.SQL(casts.get(k, "")))
                             for c, k in cols)
    return sql.SQL("SELECT ST_AsBinary(f.geom), {sel} FROM ({src}) AS f").format(sel=sel, src=src.query)


def record_batches(conn: Any, src: Source, progress: Progress = None):
    """A pyarrow RecordBatchReader over the selection (WKB geometry column `geometry`)."""
    import pyarrow as pa

    cols = arrow_columns(conn, src)
    schema = pa.schema([pa.field("geometry", pa.binary())]
                       + [pa.field(c, getattr(pa, k)()) for c, k in cols])
    types = [f.type for f in schema]

    def gen():
        for rows in prefetched(batches(conn, _arrow_query(src, cols), src.params, binary=True)):
            arrays = [pa.array(col, type=t) for col, t in zip(zip(*rows, strict=True), types, strict=True)]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)
            if progress:
                progress(len(rows))

    return pa.RecordBatchReader.from_batches(schema, gen())


def _geometry_type(src: Source) -> str:
    return "Point" if src.layer.geometry == "point" else "MultiPolygon"


def _meta_strings(meta: dict[str, Any]) -> dict[str, str]:
    return {"TITLE": meta["title"], "DESCRIPTION": meta["description"], "ATTRIBUTION": meta["attribution"],
            "LICENCES": "; ".join(f"{d['title']}: {d['licence']}" for d in meta["datasets"]),
            "SYNTHETIC": meta["synthetic"], "PROVENANCE": json.dumps(meta, ensure_ascii=False)}


def write_gdal(conn: Any, src: Source, fmt: Format, path: Path, meta: dict[str, Any],
               progress: Progress = None) -> Path:
    """Write `path` in `fmt` (GPKG, Shapefile zip, KML, FlatGeobuf); returns the file written."""
    pyogrio = _pyogrio()
    path = Path(path)
    path.unlink(missing_ok=True)
    reader = record_batches(conn, src, progress)
    common = {"geometry_name": "geometry", "geometry_type": _geometry_type(src), "crs": "EPSG:4326"}
    name = src.layer.id
    with warnings.catch_warnings():
        # GDAL reports the Shapefile's 10-character field names; metadata.json maps them.
        warnings.filterwarnings("ignore", message="Normalized/laundered field name")
        return _write_gdal(pyogrio, reader, common, name, src, fmt, path, meta)


def _write_gdal(pyogrio: Any, reader: Any, common: dict[str, Any], name: str, src: Source, fmt: Format,
                path: Path, meta: dict[str, Any]) -> Path:
    if fmt.name == "gpkg":
        # GeoPackage 1.3: what GDAL before 3.9 (Debian 12's, and its validate_gpkg.py) and older GIS read and
        # check; GDAL's 1.4 default only changes the R-tree triggers, which matter when a file is edited.
        pyogrio.write_arrow(reader, str(path), layer=name, driver="GPKG", **common,
                            dataset_options={"VERSION": "1.3"},
                            dataset_metadata=_meta_strings(meta), layer_metadata=_meta_strings(meta),
                            layer_options={"IDENTIFIER": meta["title"], "DESCRIPTION": meta["attribution"]})
        _gpkg_metadata_table(path, meta)
    elif fmt.name == "fgb":
        # The packed R-tree is built in memory (about 100 bytes a feature): beyond FGB_INDEX_MAX_ROWS the
        # file is written without it, so memory stays bounded (QGIS reads it either way).
        index = "YES" if (meta.get("rows") or 0) <= FGB_INDEX_MAX_ROWS else "NO"
        meta = meta | {"spatial_index": index == "YES"}
        pyogrio.write_arrow(reader, str(path), layer=name, driver="FlatGeobuf", **common,
                            layer_metadata=_meta_strings(meta),
                            layer_options={"TITLE": meta["title"], "DESCRIPTION": meta["attribution"],
                                           "SPATIAL_INDEX": index})
    elif fmt.name == "kml":
        raw = path.with_name(path.name + ".part")
        name_field = "name_zh" if "name_zh" in src.columns else "name_en"
        pyogrio.write_arrow(reader, str(raw), layer=name, driver="KML", **common,
                            dataset_options={"NameField": name_field})
        _kml_with_provenance(raw, path, meta)
        raw.unlink()
    elif fmt.name == "shp":
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".shp-") as tmp:
            shp = Path(tmp) / f"{name}.shp"
            pyogrio.write_arrow(reader, str(shp), layer=name, driver="ESRI Shapefile", encoding="UTF-8",
                                **common)
            fields = [str(f) for f in pyogrio.read_info(str(shp))["fields"]]
            meta = meta | {"shapefile_fields": dict(zip(src.columns, fields, strict=False)),
                           "shapefile_note": "DBF field names are cut to 10 characters and text to 254 "
                                             "bytes; "
                                             "shapefile_fields maps each property to its DBF name."}
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                    part = shp.with_suffix(ext)
                    if part.exists():
                        z.write(part, f"{name}{ext}")
                z.writestr("metadata.json", json.dumps(meta, ensure_ascii=False, indent=2))
    else:
        raise ValueError(f"{fmt.name} is not a GDAL format")
    return path


def _gpkg_metadata_table(path: Path, meta: dict[str, Any]) -> None:
    """A plain `bluemap_metadata` table (key, value) next to the layer, for tools that show tables only."""
    import sqlite3

    rows = [(k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in meta.items()]
    with sqlite3.connect(path) as db:
        # An attributes table needs an INTEGER PRIMARY KEY (GeoPackage 1.x, requirement 119).
        db.execute("CREATE TABLE bluemap_metadata (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
                   "key TEXT NOT NULL UNIQUE, value TEXT)")
        db.executemany("INSERT INTO bluemap_metadata (key, value) VALUES (?, ?)", rows)
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                   "VALUES ('bluemap_metadata', 'attributes', 'bluemap_metadata', "
                   "'Provenance of this export')")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _kml_with_provenance(raw: Path, path: Path, meta: dict[str, Any]) -> None:
    """Copy GDAL's KML, adding name, description (attribution, licences) and the provenance as ExtendedData
    to the Document (streamed copy: the features are not parsed)."""
    desc = f"{meta['description']}\n\nData: {meta['attribution']}\n\n{meta['synthetic']}"
    doc = (f"<name>{_xml(meta['title'])}</name><description>{_xml(desc)}</description>"
           f"<ExtendedData><Data name=\"provenance\"><value>{_xml(json.dumps(meta, ensure_ascii=False))}"
           f"</value></Data></ExtendedData>")
    with open(raw, "rb") as fin, open(path, "wb") as fout:
        head = fin.read(4096).decode("utf-8", "surrogateescape")
        i = head.find(">", head.find("<Document"))
        fout.write((head[:i + 1] + doc + head[i + 1:]).encode("utf-8", "surrogateescape"))
        shutil.copyfileobj(fin, fout, 1 << 20)


# ---------------------------------------------------------------------------------------------- any format

def write(conn: Any, src: Source, fmt: Format, path: Path, meta: dict[str, Any], progress: Progress = None,
          bom: bool = False) -> Path:
    """Write the selection to `path` in `fmt`; CSV also writes its provenance to `<path>.metadata.json`."""
    path = Path(path)
    if fmt.name in ("geojson", "csv"):
        stream = geojson_stream(conn, src, meta, progress) if fmt.name == "geojson" else csv_stream(
            conn, src, bom, progress)
        with open(path, "wb") as out:
            for chunk in stream:
                out.write(chunk)
        if fmt.name == "csv":
            sidecar(path).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return path
    return write_gdal(conn, src, fmt, path, meta, progress)


def sidecar(path: Path) -> Path:
    """Where a CSV file's provenance goes: `<file>.metadata.json`."""
    return path.with_name(path.name + ".metadata.json")
