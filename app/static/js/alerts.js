// The alerts page: draw an area on a small map. Each click adds a corner of the polygon (three or more fill the
// polygon field) and sets the centre of a point-and-radius area; "clear" starts again.
(function () {
  const B = window.BLUEMAP;
  const el = document.getElementById("alerts-draw-map");
  if (!el || !window.maplibregl) return;
  const map = B.makeMap("alerts-draw-map", "blue-map", {center: [112, 33], zoom: 3.2, interactive: true});
  const form = document.getElementById("alerts-new");
  const corners = [];
  const shape = () => ({type: "FeatureCollection", features: corners.length < 3
    ? corners.map((c) => ({type: "Feature", geometry: {type: "Point", coordinates: c}, properties: {}}))
    : [{type: "Feature", geometry: {type: "Polygon", coordinates: [[...corners, corners[0]]]}, properties: {}}]});
  const show = () => {
    const src = map.getSource("alerts-draw");
    if (src) src.setData(shape());
    form.elements.polygon.value = corners.length >= 3
      ? JSON.stringify({type: "Polygon", coordinates: [[...corners, corners[0]]]}) : "";
  };
  map.on("load", () => {
    map.addSource("alerts-draw", {type: "geojson", data: shape()});
    map.addLayer({id: "alerts-draw-fill", type: "fill", source: "alerts-draw", paint: {"fill-color": "#1a73c9", "fill-opacity": 0.2}, filter: ["==", "$type", "Polygon"]});
    map.addLayer({id: "alerts-draw-line", type: "line", source: "alerts-draw", paint: {"line-color": "#1a73c9", "line-width": 2}, filter: ["==", "$type", "Polygon"]});
    map.addLayer({id: "alerts-draw-points", type: "circle", source: "alerts-draw", paint: {"circle-radius": 5, "circle-color": "#1a73c9"}, filter: ["==", "$type", "Point"]});
  });
  map.on("click", (e) => {
    const c = [Math.round(e.lngLat.lng * 1e5) / 1e5, Math.round(e.lngLat.lat * 1e5) / 1e5];
    corners.push(c);
    form.elements.lon.value = c[0];
    form.elements.lat.value = c[1];
    if (form.elements.target.value !== "area") form.elements.target.value = "area";
    show();
  });
  document.getElementById("alerts-draw-clear").addEventListener("click", () => {
    corners.length = 0;
    form.elements.lon.value = "";
    form.elements.lat.value = "";
    show();
  });
})();
