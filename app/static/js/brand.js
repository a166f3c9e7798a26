// A brand's map: its suppliers (with its logo, ringed in their 12-month status colour), the chain drawn from
// supplier to buyer, a tier filter. Data from the brand's JSON endpoints, which add private links for the
// brand's own users only.
(async function () {
  const B = window.BLUEMAP;
  const slug = B.brand.slug;
  const colours = B.status_colours;
  const base = await B.getJSON(`/styles/supply-chain.json?lang=${B.lang}`);
  // The basemap of the supply-chain style; the public suppliers tiles are replaced by this brand's data.
  const style = {...base, sources: {basemap: base.sources.basemap},
                 layers: base.layers.filter((l) => l.type === "background" || l.source === "basemap")};
  const map = B.makeMap("map", "supply-chain", {style, center: [108, 32], zoom: 3.6});
  const statusColour = ["match", ["get", "status"], ...Object.entries(colours).flat(), "#7f8c8d"];

  const legend = [
    ...["open", "explained", "rectified", "none"].map((s) => [B.t["status_" + s], B.t["status_" + s], colours[s]]),
  ];
  const legendBox = document.getElementById("brand-legend");
  legendBox.innerHTML = B.legendHtml(legend)
    + `<li><span class="swatch line"></span> ${B.esc(B.t.chain_legend)}</li>`
    + (B.manage ? `<li><span class="swatch private"></span> ${B.esc(B.t.private_legend)}</li>` : "");

  const popup = (f) => {
    const p = f.properties;
    return `<h3>${B.esc(B.name(p))}</h3>
      <p>${B.statusBadge(p.status)} ${B.esc(B.t["tier_" + p.tier] || p.tier)}${p.public ? "" : ` · <span class="private-tag">${B.esc(B.t.private)}</span>`}</p>
      <p>${B.esc(B.t.last_12_months)}: ${B.esc(B.t.status_open)} ${p.open} · ${B.esc(B.t.status_explained)} ${p.explained} · ${B.esc(B.t.status_rectified)} ${p.rectified}</p>
      <p>${B.esc(B.t.violation_count)}: ${p.violation_count}${p.latest_violation ? ` · ${B.esc(B.t.latest_violation)}: ${B.esc(p.latest_violation)}` : ""}</p>
      <p><a class="details" href="/facilities/${p.id}">${B.esc(B.t.facility_page)} →</a></p>`;
  };

  map.on("load", async () => {
    const [suppliers, chain] = await Promise.all([
      B.getJSON(`/api/brands/${encodeURIComponent(slug)}/suppliers`),
      B.getJSON(`/api/brands/${encodeURIComponent(slug)}/chain`),
    ]);
    map.addSource("brand-suppliers", {type: "geojson", data: suppliers, promoteId: "id"});
    map.addSource("brand-chain", {type: "geojson", data: chain});
    map.addLayer({id: "brand-chain-lines", type: "line", source: "brand-chain",
                  paint: {"line-color": "#1f4e79", "line-width": 1.6, "line-opacity": 0.75}});
    map.addLayer({id: "brand-chain-arrows", type: "symbol", source: "brand-chain",
                  layout: {"symbol-placement": "line-center", "text-field": ">", "text-font": ["Blue Map Sans Bold"],
                           "text-size": 14, "text-keep-upright": false, "text-allow-overlap": true},
                  paint: {"text-color": "#1f4e79", "text-halo-color": "#ffffff", "text-halo-width": 1}});
    map.addLayer({id: "brand-suppliers-status", type: "circle", source: "brand-suppliers", paint: {
      "circle-radius": 17, "circle-color": statusColour, "circle-opacity": 0.9,
      "circle-stroke-color": ["case", ["get", "public"], "#ffffff", "#222222"],
      "circle-stroke-width": ["case", ["get", "public"], 1, 3]}});
    map.addLayer({id: "brand-suppliers-logos", type: "symbol", source: "brand-suppliers",
                  layout: {"icon-image": ["get", "icon"], "icon-allow-overlap": true, "icon-ignore-placement": true}});
    const pts = suppliers.features.map((f) => f.geometry.coordinates);
    if (pts.length) {
      const b = pts.reduce((a, [x, y]) => [Math.min(a[0], x), Math.min(a[1], y), Math.max(a[2], x), Math.max(a[3], y)],
                           [180, 90, -180, -90]);
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: 60, maxZoom: 11, duration: 0});
    }
    map.on("click", "brand-suppliers-status", (e) => {
      const f = e.features[0];
      new maplibregl.Popup({maxWidth: "320px"}).setLngLat(f.geometry.coordinates).setHTML(popup(f)).addTo(map);
    });
    map.on("mouseenter", "brand-suppliers-status", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "brand-suppliers-status", () => { map.getCanvas().style.cursor = ""; });
    window.bluemap.brand = {suppliers: suppliers.features.length, edges: chain.features.length,
                            includesPrivate: suppliers.includes_private, tier: ""};
  });

  document.getElementById("tier-filter").addEventListener("change", (e) => {
    const tier = e.target.value;
    const filter = tier ? ["==", ["get", "tier"], tier] : null;
    for (const id of ["brand-suppliers-status", "brand-suppliers-logos", "brand-chain-lines", "brand-chain-arrows"]) {
      if (map.getLayer(id)) map.setFilter(id, filter);
    }
    document.querySelectorAll("#brand-suppliers li[data-tier], #brand-summary tbody tr").forEach((el) => {
      el.hidden = Boolean(tier) && el.dataset.tier !== tier;
    });
    if (window.bluemap.brand) window.bluemap.brand.tier = tier;
  });
})();
