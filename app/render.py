"""Rendering of web pages: a template in the request's language, with what every page's script needs."""

from __future__ import annotations

from flask import Response, render_template, request, url_for

from app import i18n
from app.words import Words
from layers.factories import STATUS_COLOURS
from standards import water
from standards.industries import INDUSTRIES


def _switch_url(lang: str) -> str:
    """This page in the other language."""
    args = request.args.to_dict() | {"lang": "en" if lang == "zh" else "zh"}
    return url_for(request.endpoint or "pages.blue_map", **(request.view_args or {}), **args)


def page(template: str, status: int = 200, **context) -> Response:
    """Render a page in the request's language; remember an explicit ?lang= in a cookie."""
    lang = i18n.current_lang()
    w = Words(lang)
    client = {"lang": lang, "t": w.t, "status_colours": STATUS_COLOURS,
              "industries": {k: v[0] if lang == "zh" else v[1] for k, v in INDUSTRIES.items()},
              "water_classes": {c: w.water_class(c) for c in water.CLASSES},
              **context.pop("client", {})}
    html = render_template(template, lang=lang, t=w.t, w=w, client=client, switch_url=_switch_url(lang),
                           industries=client["industries"], **context)
    resp = Response(html, status=status, mimetype="text/html")
    if request.args.get("lang") in i18n.LANGS:
        resp.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return resp
