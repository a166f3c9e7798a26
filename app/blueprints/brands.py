"""The Green Supply Chain map, brand pages, their JSON (suppliers, chain) and supplier status reports.

What a viewer sees of a brand's links: public and active ones for everyone; private ones as well for the
brand's own users and admins. The JSON and reports answer `Cache-Control: private, no-store` and vary on
Cookie and Authorization, so no shared cache keeps one viewer's answer for another.
"""

from __future__ import annotations

import threading
from datetime import date

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request, url_for

from app import auth, db, i18n
from app.extensions import tile_service
from app.render import page
from core import parse
from core.errors import Invalid, NotFound
from db.staging import bump_data_version
from layers.registry import LAYERS
from supply import chain as sc
from tiles import logos, sprites

bp = Blueprint("brands", __name__)
auth.protect(bp)
_as_of_lock = threading.Lock()
PUBLIC_KEYS = ("slug", "name_zh", "name_en", "logo_key", "public_suppliers")


def _as_of(conn) -> date:
    """The status window's end (cached per data version: it reads every facility)."""
    if request.args.get("as_of"):
        return parse.day("as_of", request.args["as_of"])
    version = (tile_service().version.current(), date.today())  # the window ends today: a new day, a new end
    cache = current_app.extensions.setdefault("supply_chain_as_of", {})
    with _as_of_lock:
        if version not in cache:
            cache.clear()
            cache[version] = sc.as_of_date(conn)
        return cache[version]


def _brand_or_404(conn, slug: str) -> dict:
    b = sc.brand(conn, slug)
    if b is None:
        raise NotFound(f"no brand {slug!r}")
    return b


def _may_see_private(b: dict) -> bool:
    user = auth.current_user()
    return user is not None and user.can_manage(b["id"])


def _no_share(resp: Response, private: bool) -> Response:
    resp.headers["Vary"] = "Cookie, Authorization"
    signed_in = private or auth.current_user() is not None
    resp.headers["Cache-Control"] = "private, no-store" if signed_in else "public, no-cache"
    return resp


@bp.get("/supply-chain")
def supply_chain():
    """The public Green Supply Chain map: brand logos on their public suppliers, a brand filter, a legend."""
    with db.conn() as c:
        brands = [b for b in sc.public_brands(c) if b["public_suppliers"]]  # on the map: brands it shows
    legend = [list(x) for x in LAYERS.get("suppliers").legend]
    return page("supply_chain.html", brands=brands,
                client={"brands": [{k: b[k] for k in PUBLIC_KEYS} for b in brands], "legend": legend,
                        "brand": request.args.get("brand", "")})


@bp.get("/brands/<slug>")
def brand_page(slug: str):
    """A brand's map and summary: public suppliers for everyone, private ones too for the brand's users."""
    with db.conn() as c:
        b = sc.brand(c, slug)
        if b is None:
            return page("not_found.html", 404, what=f"brand {slug}")
        private = _may_see_private(b)
        as_of = _as_of(c)
        rows = sc.suppliers(c, b["id"], private, as_of)
        pending = c.execute("SELECT count(*) FROM supplier_lists WHERE brand_id = %s AND status = 'pending'",
                            (b["id"],)).fetchone()[0] if private else 0
    summary = sc.summary(rows)
    resp = page("brand.html", b=b, summary=summary, rows=rows[:500], total=len(rows), as_of=as_of.isoformat(),
                manage=private, pending=pending,
                client={"brand": {"slug": b["slug"], "name_zh": b["name_zh"], "name_en": b["name_en"],
                                  "logo_key": b["logo_key"]},
                        "tiers": list(summary["by_tier"]), "as_of": as_of.isoformat(),
                        "manage": private})
    return _no_share(resp, private)


@bp.get("/brands/<slug>/logo.png")
def logo(slug: str):
    """The brand's logo as PNG: the uploaded one (rasterised, resized) or the generated default."""
    with db.conn() as c:
        row = c.execute("SELECT logo_key, name_en, name_zh, logo_png FROM brands WHERE slug = %s",
                        (slug,)).fetchone()
    if row is None:
        raise NotFound(f"no brand {slug!r}")
    if row[3] is not None:
        data = bytes(row[3])
    else:
        import io

        buf = io.BytesIO()
        sprites.default_logo(sprites.Brand(row[0], row[1], row[2]), 2).save(buf, "PNG")
        data = buf.getvalue()
    return Response(data, mimetype="image/png", headers={"Cache-Control": "public, no-cache",
                                                         "X-Content-Type-Options": "nosniff"})


@bp.get("/api/brands")
def api_brands():
    """Every brand with its number of public suppliers."""
    with db.conn() as c:
        brands = sc.public_brands(c)
    return jsonify({"brands": [{k: b[k] for k in PUBLIC_KEYS}
                               | {"url": url_for("brands.brand_page", slug=b["slug"], _external=True)}
                               for b in brands]})


@bp.get("/api/brands/<slug>")
def api_brand(slug: str):
    """A brand's profile and summary counts per tier and status (its private links only for its users)."""
    with db.conn() as c:
        b = _brand_or_404(c, slug)
        private = _may_see_private(b)
        as_of = _as_of(c)
        summary = sc.summary(sc.suppliers(c, b["id"], private, as_of))
    body = {k: b[k] for k in ("slug", "name_zh", "name_en", "logo_key", "has_logo")} | {
        "as_of": as_of.isoformat(), "includes_private": private, "summary": summary,
        "logo_url": url_for("brands.logo", slug=slug, _external=True)}
    return _no_share(jsonify(body), private)


@bp.get("/api/brands/<slug>/suppliers")
def api_suppliers(slug: str):
    """GeoJSON of the brand's suppliers with their 12-month status (private ones only for its users)."""
    tier = request.args.get("tier")
    if tier and tier not in sc.TIERS:
        raise Invalid(f"tier must be one of {', '.join(sc.TIERS)}")
    with db.conn() as c:
        b = _brand_or_404(c, slug)
        private = _may_see_private(b)
        as_of = _as_of(c)
        rows = [r for r in sc.suppliers(c, b["id"], private, as_of) if not tier or r["tier"] == tier]
    body = sc.features(rows, b["logo_key"]) | {"as_of": as_of.isoformat(), "includes_private": private}
    return _no_share(jsonify(body), private)


@bp.get("/api/brands/<slug>/chain")
def api_chain(slug: str):
    """GeoJSON lines from each supplier to its buyer, where the viewer may see both ends."""
    with db.conn() as c:
        b = _brand_or_404(c, slug)
        private = _may_see_private(b)
        body = sc.edge_features(sc.edges(c, b["id"], private)) | {"includes_private": private}
    return _no_share(jsonify(body), private)


@bp.get("/brands/<slug>/report.<fmt>")
def report(slug: str, fmt: str):
    """The supplier status report as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("reports: report.csv, report.xlsx")
    with db.conn() as c:
        b = _brand_or_404(c, slug)
        private = _may_see_private(b)
        as_of = _as_of(c)
        rows = sc.suppliers(c, b["id"], private, as_of)
    meta = [f"Supplier status report: {b['name_en']}" + (f" / {b['name_zh']}" if b["name_zh"] else ""),
            "Status: the worst unresolved record whatever its age (open > explained), else rectified when a record "
            f"was rectified in the 12 months to {as_of.isoformat()}, else none; *_12m columns count the 12 months "
            f"to {as_of.isoformat()}; removed records not counted",
            "Includes private links (for the brand's own use)" if private else "Public links only",
            "Sources and licences: " + url_for("pages.sources", _external=True)]
    name = f"{slug}-suppliers-{as_of.isoformat()}.{fmt}"
    if fmt == "csv":
        resp = Response(sc.report_csv(rows, request.url_root, meta), mimetype="text/csv; charset=utf-8")
    else:
        resp = Response(sc.report_xlsx(rows, request.url_root, meta),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_share(resp, private)


@bp.route("/brands/<slug>/manage", methods=["GET", "POST"])
@auth.require_brand_manager
def manage(slug: str):
    """Names and logo of the brand (its users and admins)."""
    with db.conn() as c:
        b = _brand_or_404(c, slug)
    if request.method == "GET":
        return page("brand_manage.html", b=b, svg=logos.svg_available(), max_kb=logos.MAX_BYTES // 1024)
    name_en = request.form.get("name_en", "").strip()
    name_zh = request.form.get("name_zh", "").strip() or None
    if not name_en or len(name_en) > 200 or (name_zh and len(name_zh) > 200):
        flash(i18n.texts(i18n.current_lang())["names_required"], "error")
        return redirect(url_for("brands.manage", slug=slug))
    upload = request.files.get("logo")
    data = upload.read(logos.MAX_BYTES + 1) if upload and upload.filename else None
    try:
        processed = logos.process(data) if data is not None else None
    except logos.LogoError as exc:
        flash(str(exc), "error")
        return redirect(url_for("brands.manage", slug=slug))
    with db.conn() as c:
        c.execute("UPDATE brands SET name_en = %s, name_zh = %s WHERE id = %s", (name_en, name_zh, b["id"]))
        if processed is not None:
            c.execute("UPDATE brands SET logo = %s, logo_mime = %s, logo_png = %s WHERE id = %s",
                      (data, processed[0], processed[1], b["id"]))
        elif request.form.get("remove_logo") == "1":
            c.execute("UPDATE brands SET logo = NULL, logo_mime = NULL, logo_png = NULL WHERE id = %s",
                      (b["id"],))
        bump_data_version(c)  # the sprite (and its cache) is rebuilt with the new logo
    flash("saved", "saved")
    return redirect(url_for("brands.manage", slug=slug))
