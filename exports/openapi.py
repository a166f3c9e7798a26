"""The OpenAPI 3.0 definition of the OGC API - Features endpoints, generated from the layer registry."""

from __future__ import annotations

from typing import Any

from exports import selection
from layers.base import Filter, Layer

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
_TEXT = {"type": "string"}
_FC = {"$ref": "#/components/schemas/featureCollectionGeoJSON"}
_ERR = {"description": "A JSON error with a reason", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/exception"}}}}


def filter_schema(f: Filter) -> dict[str, Any]:
    """The JSON schema of a layer filter's values."""
    if f.kind == "enum":
        return {"type": "string", "enum": list(f.choices)}
    if f.kind == "enum_list":
        return {"type": "string", "description": "comma-separated: " + ", ".join(f.choices)}
    if f.kind == "date":
        return {"type": "string", "format": "date"}
    if f.kind == "bool":
        return {"type": "boolean"}
    if f.kind == "int":
        return {"type": "integer"}
    return {"type": "string", "maxLength": 200}


def _common() -> dict[str, Any]:
    """Query parameters shared by the items paths."""
    return {
        "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
                  "description": f"Features per page (at most {MAX_LIMIT})",
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                             "default": DEFAULT_LIMIT}},
        "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
                 "description": "w,s,e,n in CRS84 degrees",
                 "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
        "datetime": {"name": "datetime", "in": "query", "required": False, "style": "form",
                     "explode": False, "schema": _TEXT,
                     "description": "Date or interval (a/b, .. for open ends) of violation records"},
    }


def _service_paths(common: dict[str, Any]) -> dict[str, Any]:
    """Landing page, conformance, collections and the generic items path."""
    def plain(summary: str, op: str, description: str) -> dict[str, Any]:
        return {"get": {"summary": summary, "operationId": op, "responses": {"200": {
            "description": description, "content": {"application/json": {"schema": {"type": "object"}}}}}}}

    cid = {"name": "collectionId", "in": "path", "required": True,
           "schema": {"type": "string", "enum": [la.id for la in selection.exportable()]}}
    return {
        "/": plain("Landing page", "getLandingPage", "Links to the API"),
        "/conformance": plain("Conformance classes", "getConformance", "conformsTo"),
        "/collections": plain("Collections", "getCollections", "The feature collections"),
        "/collections/{collectionId}/items": {"get": {
            "summary": "Features of a collection (each collection's own path lists its filters)",
            "operationId": "getFeatures", "parameters": [cid, dict(common["limit"]), dict(common["bbox"])],
            "responses": {"200": {"description": "Features", "content": {GEOJSON: {"schema": _FC}}},
                          "400": _ERR, "404": _ERR}}},
    }


def _layer_paths(la: Layer, common: dict[str, Any]) -> dict[str, Any]:
    """A collection's description, items (with its own filters) and single-feature paths."""
    # Inlined rather than $ref: GDAL reads the limit's maximum and default here for its page size.
    params: list[dict[str, Any]] = [
        dict(common["limit"]), dict(common["bbox"]),
        {"name": "after", "in": "query", "required": False, "schema": _TEXT,
         "description": "Paging: features after this id (the next link carries it)"}]
    if selection.temporal(la):
        params.append(dict(common["datetime"]))
    params += [{"name": f.name, "in": "query", "required": False, "description": f.description,
                "schema": filter_schema(f), "style": "form", "explode": False} for f in la.filters]
    return {
        f"/collections/{la.id}": {"get": {
            "summary": f"{la.title}: description", "operationId": f"describe_{la.id}",
            "responses": {"200": {"description": "The collection", "content": {"application/json": {
                "schema": {"type": "object"}}}}, "404": _ERR}}},
        f"/collections/{la.id}/items": {"get": {
            "summary": f"{la.title}: features", "operationId": f"getFeatures_{la.id}", "parameters": params,
            "responses": {"200": {"description": la.description, "content": {GEOJSON: {"schema": _FC}}},
                          "400": _ERR, "404": _ERR}}},
        f"/collections/{la.id}/items/{{featureId}}": {"get": {
            "summary": f"{la.title}: one feature", "operationId": f"getFeature_{la.id}",
            "parameters": [{"name": "featureId", "in": "path", "required": True, "schema": _TEXT}],
            "responses": {"200": {"description": "The feature", "content": {GEOJSON: {
                "schema": {"$ref": "#/components/schemas/featureGeoJSON"}}}}, "404": _ERR}}},
    }


def _schemas() -> dict[str, Any]:
    """The error, feature and feature collection schemas."""
    return {
        "exception": {"type": "object", "required": ["error"], "properties": {"error": _TEXT}},
        "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"],
                           "properties": {"type": {"type": "string", "enum": ["Feature"]},
                                          "geometry": {"type": "object", "nullable": True},
                                          "properties": {"type": "object", "nullable": True},
                                          "id": {"oneOf": [_TEXT, {"type": "integer"}]}}},
        "featureCollectionGeoJSON": {
            "type": "object", "required": ["type", "features"], "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                "links": {"type": "array", "items": {"type": "object"}},
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0}}},
    }


def document(base_url: str) -> dict[str, Any]:
    """The API definition for a service whose OGC API root is `base_url`."""
    common = _common()
    paths = _service_paths(common)
    for la in selection.exportable():
        paths |= _layer_paths(la, common)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Blue Map (open): OGC API - Features", "version": "1.0.0",
                 "description": "OGC API - Features - Part 1: Core (GeoJSON, OpenAPI 3.0) over the Blue Map "
                                "layers.",
                 "license": {"name": "Data: see each collection's attribution"}},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"parameters": common, "schemas": _schemas()},
    }
