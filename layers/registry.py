"""The registry of layers: each declared once, duplicates refused; everything else lists from here."""

from __future__ import annotations

from layers.base import Layer


class Registry:
    """Layers by id, in declaration order."""

    def __init__(self) -> None:
        self._layers: dict[str, Layer] = {}

    def add(self, layer: Layer) -> Layer:
        """Register `layer`; a duplicate or malformed id is a programming error (ValueError)."""
        if layer.id in self._layers:
            raise ValueError(f"duplicate layer id {layer.id!r}")
        if not layer.id.replace("_", "").isalnum():
            raise ValueError(f"layer id {layer.id!r} must be letters, digits and underscores")
        self._layers[layer.id] = layer
        return layer

    def get(self, layer_id: str) -> Layer:
        """The layer with this id (KeyError when there is none: check `in` first)."""
        return self._layers[layer_id]

    def __contains__(self, layer_id: object) -> bool:
        return layer_id in self._layers

    def __iter__(self):
        return iter(self._layers.values())

    def ids(self) -> list[str]:
        """Every layer id, in declaration order."""
        return list(self._layers)


def _build() -> Registry:
    from layers import air_stations, basemap, carbon, factories, reports, streets, suppliers, water_stations

    reg = Registry()
    for module in (factories, suppliers, carbon, air_stations, water_stations, reports, basemap, streets):
        reg.add(module.LAYER)
    return reg


LAYERS = _build()
