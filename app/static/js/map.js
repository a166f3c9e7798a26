// The Blue Map: layer switcher with legends, popups.
(async function () {
  const B = window.BLUEMAP;
  const map = B.makeMap("map", "blue-map", {center: [108, 34], zoom: 3.6, hash: true});
  B.wirePopups(map);
  await B.loadSprite().catch(() => null);
  const box = document.getElementById("layer-switcher");
  const styleLayers = (source) => map.getStyle().layers.filter((l) => l.source === source).map((l) => l.id);
  const render = () => {
    const hidden = new Set(map.getStyle().metadata["bluemap:hidden"] || []);
    box.innerHTML = B.layers.map((l) => `
      <fieldset class="layer" data-layer="${l.id}">
        <label><input type="checkbox" id="toggle-${l.id}" ${hidden.has(l.id) ? "" : "checked"}> ${B.esc(B.t["layer_" + l.id])}</label>
        <ul class="legend">${B.legendHtml(l.legend)}</ul>
      </fieldset>`).join("");
    for (const l of B.layers) {
      document.getElementById(`toggle-${l.id}`).addEventListener("change", (e) => {
        for (const id of styleLayers(l.id)) map.setLayoutProperty(id, "visibility", e.target.checked ? "visible" : "none");
      });
    }
  };
  // The interpolated PM2.5 surface (a raster layer under the points), off until switched on.
  const surface = async () => {
    const info = await B.getJSON("/raster/pm25.json").catch(() => null);
    if (!info) return;
    const box2 = document.createElement("fieldset");
    box2.className = "layer";
    box2.innerHTML = `<label><input type="checkbox" id="toggle-pm25"> ${B.esc(B.t.layer_pm25)}</label>
      <p class="hint">${B.esc(B.localTime(info.time))} (${B.esc(B.t.local_time)}) · ${B.esc(info.scale)}</p>
      <ul class="legend">${info.classes.map((c) => `<li>${B.swatch(c.colour)} ${c.low}–${c.high ?? ""} µg/m³ ${B.esc(B.lang === "zh" ? c.name_zh : c.name_en)}</li>`).join("")}</ul>
      <p class="hint"><a href="/raster/pm25.tif">GeoTIFF</a> · ${B.esc(B.lang === "zh" ? B.t.pm25_method : info.method)}</p>`;
    box.appendChild(box2);
    document.getElementById("toggle-pm25").addEventListener("change", (e) => {
      if (!map.getSource("pm25")) {
        map.addSource("pm25", {type: "raster", tileSize: 256, tiles: [`${location.origin}/raster/pm25/{z}/{x}/{y}.png?time=${encodeURIComponent(info.time)}`],
          attribution: "PM2.5 surface interpolated from station readings"});
        map.addLayer({id: "pm25-surface", type: "raster", source: "pm25", paint: {"raster-opacity": 0.75}}, map.getLayer("water-stations") ? "water-stations" : undefined);
      }
      map.setLayoutProperty("pm25-surface", "visibility", e.target.checked ? "visible" : "none");
    });
  };
  const start = () => { render(); surface(); };
  if (map.isStyleLoaded()) start(); else map.once("load", start);
})();
