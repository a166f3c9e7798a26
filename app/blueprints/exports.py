"""Exports of any layer in GeoJSON, CSV, GeoPackage, Shapefile, KML, FlatGeobuf, HTML, PNG and PMTiles;
asynchronous jobs for large ones. The work is done by exports; this only speaks HTTP."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from app import db
from app.push import json_body
from core.errors import Invalid, NotFound
from exports import jobs, selection, service, writers

bp = Blueprint("exports", __name__)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Link, Content-Disposition"}


def _var() -> Path:
    return Path(current_app.config["SETTINGS"].var_dir) / "exports"


def store() -> jobs.JobStore:
    """The job store (jobs are run by `bluemap worker`, never in a web worker)."""
    js = current_app.extensions.get("export_jobs")
    if js is None:
        js = jobs.JobStore(_var() / "jobs")
        current_app.extensions["export_jobs"] = js
    return js


def _stream_file(path: Path, remove: bool = True):
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk
    finally:
        if remove:
            path.unlink(missing_ok=True)


def _metadata_url(layer: str) -> str:
    args = {k: v for k, v in request.args.items() if k not in ("bom",)}
    return url_for("exports.export", name=f"{layer}.metadata.json", _external=True, **args)


@bp.get("/exports")
def catalog():
    """Exportable layers with their filters, the formats, the limits and the job endpoints."""
    s = current_app.config["SETTINGS"]
    return jsonify({
        "layers": [{"id": la.id, "title": la.title, "geometry": la.geometry,
                    "filters": [{"name": f.name, "description": f.description, "type": f.kind,
                                 "choices": list(f.choices), "default": f.default} for f in la.filters]
                    + [{"name": "bbox", "description": "w,s,e,n in WGS84 degrees", "type": "bbox"},
                       {"name": "polygon", "description": "GeoJSON Polygon or MultiPolygon",
                        "type": "geojson"},
                       {"name": "area", "description": "6-digit GB/T 2260 area code", "type": "text"}],
                    "url": url_for("exports.export", name=f"{la.id}.geojson", _external=True)}
                   for la in selection.exportable()],
        "formats": service.formats(),
        "options": {"bom": "csv: true writes a UTF-8 byte-order mark (Excel)",
                    "width, height": "png: image size in pixels (64-4096)",
                    "minzoom, maxzoom": "pmtiles: zoom range (default the layer's minzoom to 8)"},
        "limits": {"rows": s.export_max_rows, "tiles": s.export_max_tiles,
                   "html_features": service.HTML_MAX_FEATURES},
        "job_limits": {"rows": s.export_job_max_rows, "tiles": s.export_job_max_tiles,
                       "seconds": s.export_job_max_seconds, "bytes": s.export_job_max_bytes,
                       "per_client": s.export_jobs_per_client, "active": s.export_jobs_max_active},
        "jobs": url_for("exports.create_job", _external=True),
    }), 200, CORS


@bp.get("/exports/<name>")
def export(name: str):
    """`{layer}.{format}`: the export, streamed; 413 with a job offer above the configured size."""
    layer, dot, fmt = name.partition(".")
    if not dot:
        raise NotFound(f"exports are /exports/{{layer}}.{{format}}; formats: {', '.join(service.formats())}")
    args = request.args.to_dict()
    metadata_only = fmt == "metadata.json"
    req = service.parse(layer, "geojson" if metadata_only else fmt, args)
    s = current_app.config["SETTINGS"]
    with db.conn() as c:
        p = service.plan(c, req, url=request.url)
    if metadata_only:
        return jsonify(p.meta | {"format": None}), 200, CORS
    job_url = url_for("exports.create_job", _external=True)
    service.check_size(p, s.export_max_rows, s.export_max_tiles, job={
        "method": "POST", "url": job_url, "body": {"layer": layer, "format": req.format, "filters": args}})
    headers = {**CORS, "Content-Disposition": f'attachment; filename="{req.filename()}"',
               "Link": f'<{_metadata_url(layer)}>; rel="describedby"; type="application/json"'}
    if req.format in ("geojson", "csv"):
        return _streamed(p, headers)
    return _produced(p, headers)


def _streamed(p: service.Plan, headers: dict[str, str]) -> Response:
    """GeoJSON and CSV, streamed from the first row on a connection held for the response's life. The query
    runs and its first batch is read before the status is sent, so a failing query is an error response,
    not a 200 cut short."""
    req = p.request
    pool = db.pool()

    def gen():
        with pool.connection() as conn:
            if req.format == "geojson":
                yield from writers.geojson_stream(conn, p.source, p.meta)
            else:
                yield from writers.csv_stream(conn, p.source, bom=req.options["bom"])

    body = gen()
    first = list(itertools.islice(body, 2))  # the head, then the first batch of rows (or the end)

    def rest():
        try:
            yield from first
            yield from body
        finally:
            body.close()  # gives the connection back when the client goes away

    return Response(rest(), mimetype=req.media_type.split(";")[0], headers=headers, content_type=req.media_type)


def _produced(p: service.Plan, headers: dict[str, str]) -> Response:
    """Other formats: written to a temporary file first, then streamed and removed."""
    req = p.request
    tmp_dir = _var() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix=req.suffix)
    os.close(fd)
    path = Path(tmp)
    try:
        with db.conn() as c:
            service.produce(c, p, path)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    if req.format == "png":
        headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline")
    if req.format == "html":  # a download, and if a browser shows it anyway, in an opaque origin of its own
        headers["Content-Security-Policy"] = "sandbox allow-scripts allow-popups"
    return Response(_stream_file(path), content_type=req.media_type,
                    headers={**headers, "Content-Length": str(path.stat().st_size)})


@bp.post("/exports/jobs")
def create_job():
    """JSON body {layer, format, filters}: checked and sized now (400, 404, 413, 429), then 202 with the job's
    id and status URL; the worker process runs it."""
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid('send a JSON body {"layer": ..., "format": ..., "filters": {...}}')
    layer, fmt, filters = body.get("layer"), body.get("format"), body.get("filters") or {}
    if not isinstance(layer, str) or not isinstance(fmt, str) or not isinstance(filters, dict):
        raise Invalid("layer and format must be strings and filters an object")
    unknown = sorted(set(body) - {"layer", "format", "filters"})
    if unknown:
        raise Invalid(f"unknown member {unknown[0]!r}; the body takes layer, format and filters")
    if not all(isinstance(v, (str, int, float, bool)) for v in filters.values()):
        raise Invalid("filter values must be strings or numbers (polygon: GeoJSON as a string)")
    args = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in filters.items()}
    s = current_app.config["SETTINGS"]
    with db.conn() as c:
        job = store().create(c, layer, fmt, args, request.remote_addr or "", jobs.Limits.of(s))
    return jsonify(_job_view(job)), 202, {**CORS, "Location": url_for("exports.job", job_id=job["id"],
                                                                       _external=True)}


def _job_view(job: dict) -> dict:
    out = {k: job[k] for k in ("id", "layer", "format", "state", "created_at", "started_at", "finished_at",
                               "rows_done", "rows_total", "attempts", "error", "filename", "bytes")}
    out["filters"] = job["args"]
    out["progress"] = (round(job["rows_done"] / job["rows_total"], 3) if job["rows_total"] else
                       (1.0 if job["state"] == "done" else 0.0))
    out["status_url"] = url_for("exports.job", job_id=job["id"], _external=True)
    if job["state"] == "done":
        out["download_url"] = url_for("exports.job_download", job_id=job["id"], _external=True)
        out["metadata_url"] = url_for("exports.job_metadata", job_id=job["id"], _external=True)
    return out


def _get_job(job_id: str) -> dict:
    try:
        return store().get(job_id)
    except KeyError:
        raise NotFound(f"no export job {job_id!r}") from None


@bp.get("/exports/jobs/<job_id>")
def job(job_id: str):
    """State and progress of a job."""
    return jsonify(_job_view(_get_job(job_id))), 200, CORS


@bp.delete("/exports/jobs/<job_id>")
def cancel_job(job_id: str):
    """Cancel a queued or running job: 200 when cancelled, 202 while the worker stops it, 409 when finished."""
    _get_job(job_id)
    j = store().cancel(job_id)
    view = _job_view(j) | {"cancel_requested": True}
    return jsonify(view), 200 if j["state"] == "cancelled" else 202, CORS


@bp.get("/exports/jobs/<job_id>/download")
def job_download(job_id: str):
    """The file of a finished job (409 while it runs)."""
    j = _get_job(job_id)
    path = store().output(job_id)
    if path is None:
        return jsonify({"error": f"job is {j['state']}", **_job_view(j)}), 409, CORS
    headers = {**CORS, "Content-Disposition": f'attachment; filename="{j["filename"]}"',
               "Content-Length": str(path.stat().st_size),
               "Link": f'<{url_for("exports.job_metadata", job_id=job_id, _external=True)}>; '
                       'rel="describedby"'}
    if j["filename"].endswith(".html"):
        headers["Content-Security-Policy"] = "sandbox allow-scripts allow-popups"
    return Response(_stream_file(path, remove=False), content_type=j["media_type"], headers=headers)


@bp.get("/exports/jobs/<job_id>/metadata")
def job_metadata(job_id: str):
    """The provenance of a job's file."""
    _get_job(job_id)
    meta = store().metadata(job_id)
    if not meta.exists():
        raise NotFound("the job has not planned its export yet")
    return Response(meta.read_bytes(), content_type="application/json", headers=CORS)
