// The Blue Map: layer switcher with legends, popups.
(async function () {
  const B = window.BLUEMAP;
  const map = B.makeMap("map", "blue-map", {center: [108, 34], zoom: 3.6, hash: true});
  B.wirePopups(map);
  await B.loadSprite().catch(() => null);
  const box = document.getElementById("layer-switcher");
  const styleLayers = (source) => map.getStyle().layers  // with their copies from a published archive
    .filter((l) => l.source === source || (l.metadata || {})["bluemap:source"] === source).map((l) => l.id);
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
  // Filters of the factories layer (industry, status, date range, key-monitored): into its tile URLs and the page URL.
  const $ = (id) => document.getElementById(id);
  const form = $("map-filters"), fmsg = $("filter-message");
  const FILTERS = ["industry", "status", "since", "until", "key_monitored"];
  const readFilters = () => {
    const f = {};
    const industry = [...$("filter-industry").selectedOptions].map((o) => o.value);
    const status = [...form.querySelectorAll("input[name=status]:checked")].map((i) => i.value);
    if (industry.length) f.industry = industry.join(",");
    if (status.length) f.status = status.join(",");
    if ($("filter-since").value) f.since = $("filter-since").value;
    if ($("filter-until").value) f.until = $("filter-until").value;
    if ($("filter-key").value) f.key_monitored = $("filter-key").value;
    return f;
  };
  const applyFilters = () => {
    const f = readFilters();
    fmsg.classList.remove("error");
    if (f.since && f.until && f.since > f.until) { fmsg.textContent = `${B.t.finding_since} > ${B.t.finding_until}`; fmsg.classList.add("error"); return; }
    const src = map.getSource("factories");
    if (src) {
      const url = new URL(src.tiles[0].replace("{z}/{x}/{y}", "Z/X/Y"));
      FILTERS.forEach((k) => url.searchParams.delete(k));
      Object.entries(f).forEach(([k, v]) => url.searchParams.set(k, v));
      src.setTiles([decodeURI(url.toString()).replace("Z/X/Y", "{z}/{x}/{y}")]);
    }
    const page = new URL(location.href);
    FILTERS.forEach((k) => page.searchParams.delete(k));
    Object.entries(f).forEach(([k, v]) => page.searchParams.set(k, v));
    history.replaceState(null, "", page);
    const n = Object.keys(f).length;
    fmsg.textContent = n ? B.tr("finding_filters_on", {n}) : "";
    window.bluemap.filters = f;
  };
  const filtersFromUrl = () => {
    const q = new URLSearchParams(location.search);
    const industry = new Set((q.get("industry") || "").split(","));
    [...$("filter-industry").options].forEach((o) => { o.selected = industry.has(o.value); });
    const status = new Set((q.get("status") || "").split(","));
    form.querySelectorAll("input[name=status]").forEach((i) => { i.checked = status.has(i.value); });
    $("filter-since").value = q.get("since") || "";
    $("filter-until").value = q.get("until") || "";
    $("filter-key").value = q.get("key_monitored") || "";
    applyFilters();
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); applyFilters(); });
  form.addEventListener("reset", () => setTimeout(applyFilters, 0));

  // "Export this view": the export dialog with the layer's filters and the map's bounding box.
  const dialog = $("export-dialog"), layerSel = $("export-layer"), formatSel = $("export-format"), link = $("export-link");
  let catalog = null;
  const bbox = () => {
    const b = map.getBounds();
    const c = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(5);
    return [c(b.getWest(), -180, 180), c(b.getSouth(), -90, 90), c(b.getEast(), -180, 180), c(b.getNorth(), -90, 90)].join(",");
  };
  const exportUrl = () => {
    const layer = catalog.layers.find((l) => l.id === layerSel.value);
    const names = new Set(layer.filters.map((x) => x.name));
    const q = new URLSearchParams(Object.entries(layer.id === "factories" ? readFilters() : {}).filter(([k]) => names.has(k)));
    q.set("bbox", bbox());
    return `/exports/${layer.id}.${formatSel.value}?${q}`;
  };
  const refreshLink = () => {
    link.href = exportUrl();
    $("export-filters").textContent = `${B.t.finding_export_bbox}: ${new URL(link.href).searchParams.get("bbox")}` +
      [...new URL(link.href).searchParams].filter(([k]) => k !== "bbox").map(([k, v]) => ` · ${k}=${v}`).join("");
  };
  $("export-view").addEventListener("click", async () => {
    if (!catalog) {
      catalog = await B.getJSON("/exports");
      layerSel.innerHTML = catalog.layers.map((l) => `<option value="${B.esc(l.id)}">${B.esc(B.t["layer_" + l.id] || l.title)}</option>`).join("");
      formatSel.innerHTML = Object.entries(catalog.formats).map(([k, v]) => `<option value="${B.esc(k)}" title="${B.esc(v.title)}">${B.esc(k.toUpperCase())}</option>`).join("");
    }
    layerSel.value = "factories";
    refreshLink();
    dialog.showModal();
  });
  layerSel.addEventListener("change", refreshLink);
  formatSel.addEventListener("change", refreshLink);

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
  const start = () => { render(); surface(); filtersFromUrl(); };
  if (map.isStyleLoaded()) start(); else map.once("load", start);
})();
