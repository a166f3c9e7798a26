"""`reports`: citizen pollution reports, published ones only, at their rounded public position."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Filter, Layer, StyleContext
from reports import public
from reports.kinds import KINDS

# Colours of the kinds, shared by the map style and the legend.
KIND_COLOURS = {"smoke": "#4d4d4d", "odour": "#8e44ad", "wastewater": "#2874a6", "dumping": "#a04000",
                "dust": "#b7950b", "noise": "#c0392b", "other": "#5d6d7e"}


def features(present: frozenset[str]) -> sql.Composable:
    """Published reports in the envelope with the kind and date filters present."""
    return public.published_sql([fragments.in_envelope("r.public_geom"), *public.conditions(present)])


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """A ringed dot in the kind's colour."""
    colour = ["match", ["get", "kind"], *[x for kv in KIND_COLOURS.items() for x in kv], "#5d6d7e"]
    return [{"id": "reports-points", "type": "circle", "metadata": {"bluemap:slot": "top"}, "paint": {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 4, 12, 8],
        "circle-color": colour, "circle-stroke-color": "#ffeb3b", "circle-stroke-width": 2}}]


LAYER = Layer(
    id="reports",
    title="Citizen pollution reports",
    description="Pollution seen and reported by the public (smoke, odour, wastewater, dumping, dust, noise), "
                "published after moderation; positions rounded on the public map.",
    geometry="point",
    properties=public.PROPERTIES,
    datasets=("citizen-reports",),
    features=features,
    filters=(
        Filter("kind", "Comma-separated kinds: " + ", ".join(KINDS), "enum_list", tuple(KINDS)),
        Filter("since", "Seen on or after this date (YYYY-MM-DD, Asia/Shanghai)", "date"),
        Filter("until", "Seen on or before this date (YYYY-MM-DD, Asia/Shanghai)", "date"),
    ),
    feature_id="id",
    style=style,
    legend=tuple((en, zh, KIND_COLOURS[k]) for k, (zh, en) in KINDS.items()),
)
