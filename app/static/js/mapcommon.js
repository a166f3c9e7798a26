// MapLibre helpers shared by the map pages: a map on one of the service's styles, popups, legends.
(function () {
  const B = window.BLUEMAP;
  // pmtiles:// sources (a PMTiles archive from `bluemap tiles publish`, or an external basemap) read by byte ranges.
  if (window.pmtiles && !B.pmtilesProtocol) {
    B.pmtilesProtocol = new pmtiles.Protocol();
    maplibregl.addProtocol("pmtiles", B.pmtilesProtocol.tile);
  }
  // A layer id and its copy drawn from the published archive at low zooms (layers/styles.py with_archive).
  B.withCopies = (ids) => ids.flatMap((id) => [id, `${id}@published`]);
  B.baseId = (id) => id.replace(/@published$/, "");
  // When a page sets filters in a source's tile URL, its archive copies (unfiltered) go and its own layers show at
  // every zoom. A URL with no parameter but the data version `v` keeps them.
  const filtered = (url) => [...new URL(url.replace(/[{}]/g, ""), location.href).searchParams.keys()].some((k) => k !== "v");
  const followArchive = (map) => {
    for (const [id, src] of Object.keys(map.getStyle().sources).map((k) => [k, map.getSource(k)])) {
      if (!src || typeof src.setTiles !== "function" || src.bluemapWrapped) continue;
      const setTiles = src.setTiles.bind(src);
      src.bluemapWrapped = true;
      src.setTiles = (tiles) => {
        if (filtered(tiles[0])) for (const l of map.getStyle().layers) {
          const meta = l.metadata || {};
          if (meta["bluemap:source"] !== id) continue;
          if (l.source === "published") map.removeLayer(l.id);
          else map.setLayerZoomRange(l.id, meta["bluemap:minzoom"] || 0, l.maxzoom === undefined ? 24 : l.maxzoom);
        }
        return setTiles(tiles);
      };
    }
  };
  B.makeMap = (container, style, options) => {
    const map = new maplibregl.Map({
      container, style: `/styles/${style}.json?lang=${B.lang}`, attributionControl: {compact: true},
      ...(options || {}),
    });
    map.on("style.load", () => followArchive(map));
    map.addControl(new maplibregl.NavigationControl({showCompass: false}));
    map.addControl(new maplibregl.ScaleControl());
    // Start with the attribution folded to its (i) button; it opens on click.
    map.once("load", () => container && document.querySelectorAll(".maplibregl-compact-show").forEach((el) => el.classList.remove("maplibregl-compact-show")));
    window.bluemap = Object.assign(window.bluemap || {}, {map});
    return map;
  };

  B.sprite = null;
  B.loadSprite = async () => (B.sprite = B.sprite || await B.getJSON("/sprites/bluemap.json"));
  // A legend swatch: a colour, or an icon cut from the sprite sheet.
  B.swatch = (value) => {
    if (value.startsWith("#")) return `<span class="swatch" style="background:${value}"></span>`;
    const box = B.sprite && B.sprite[value];
    if (!box) return `<span class="swatch"></span>`;
    return `<span class="swatch icon" style="width:${box.width}px;height:${box.height}px;background:url(/sprites/bluemap.png) -${box.x}px -${box.y}px"></span>`;
  };
  B.legendHtml = (entries) => entries.map(([en, zh, v]) => `<li>${B.swatch(v)} ${B.esc(B.lang === "zh" ? zh : en)}</li>`).join("");

  const aqiRow = (p) => p.aqi != null
    ? `<p class="aqi" style="border-color:${B.esc(p.colour)}"><strong>${B.esc(B.t.aqi)} ${p.aqi}</strong>
       ${p.primary_pollutant ? ` · ${B.esc(B.t.primary_pollutant)}: ${B.pollutantList(String(p.primary_pollutant).split(","))}` : ""}</p>`
    : `<p class="aqi">${B.esc(B.t.aqi)}: NA</p>`;

  // A facility placed from its address, not its coordinates: how approximately (nothing for given coordinates).
  B.precisionNote = (precision) => {
    const text = precision === "county" ? B.t.rd_precision_county : precision && B.t["finding_precision_" + precision];
    return text ? `<p class="precision" data-precision="${B.esc(precision)}">${B.esc(B.t.rd_location)}: ${B.esc(text)}</p>` : "";
  };

  // A brand's name from its slug, when the page lists the brands.
  const brandName = (slug) => { const b = (B.brands || []).find((x) => x.slug === slug); return b ? B.name(b) : slug; };
  B.popupHtml = {
    factory: (p) => `<h3>${B.esc(B.name(p))}${B.synthTag(p.synthetic)}</h3>
      <p>${B.esc(B.t.industry)}: ${B.esc(B.industries[p.industry] || p.industry)}</p>
      <p>${B.statusBadge(p.status)} ${B.esc(B.t.violation_count)}: <strong>${p.violation_count}</strong></p>
      <p>${B.esc(B.t.latest_violation)}: ${B.esc(p.latest_violation || "—")}</p>
      ${B.precisionNote(p.location_precision)}
      <p><a class="details" href="/facilities/${p.id}">${B.esc(B.t.facility_page)} →</a></p>`,
    air: (p, latest) => `<h3>${B.esc(B.name(p))}${B.synthTag(p.synthetic)}</h3>${aqiRow(p)}
      <p>${B.esc(B.t.aqi_scale)}: ${B.esc(p.scale || "—")}</p>
      <p>${B.esc(B.t.observed_at)} (${B.esc(B.t.local_time)}): ${B.observed(p.observed_at)}</p>
      ${latest ? `<table class="mini">${latest}</table>` : ""}
      <p><a class="details" href="/stations/${p.id}">${B.esc(B.t.station_page)} →</a></p>`,
    water: (p) => `<h3>${B.esc(B.name(p))}${B.synthTag(p.synthetic)}</h3>
      <p>${B.esc(B.t.water_class)}: <strong>${B.esc(B.waterClass(p.water_class))}</strong> (${B.esc(p.scale || "")})</p>
      ${p.class_parameter ? `<p>${B.esc(B.t.rd_water_class_param)}: ${p.class_parameter.split(",").map((k) => B.esc(B.t["field_" + k] || k)).join(", ")}</p>` : ""}
      <p>${B.esc(B.t.observed_at)} (${B.esc(B.t.local_time)}): ${B.observed(p.observed_at)}</p>
      <p><a class="details" href="/stations/${p.id}">${B.esc(B.t.station_page)} →</a></p>`,
    supplier: (p) => `<h3>${B.esc(B.name(p))}</h3>
      <p>${B.esc(B.t.brands)}: ${B.esc((p.brands || "").split(",").map(brandName).join(", "))}</p>
      <p>${B.esc(B.t.tiers)}: ${B.esc((p.tiers || "").split(",").filter(Boolean).map(B.tier).join(", "))}</p>
      <p>${B.statusBadge(p.status)}</p>
      <p><a class="details" href="/facilities/${p.facility_id}">${B.esc(B.t.facility_page)} →</a></p>`,
  };

  // Latest pollutant values of an air station: its last hour from the stations API.
  B.latestReadings = async (id) => {
    try {
      const s = await B.getJSON(`/api/stations/${id}`);
      if (!s.latest || !s.latest.observed_at) return "";
      const day = s.latest.observed_at.slice(0, 10);
      const body = await B.getJSON(`/api/stations/${id}/readings?interval=hour&from=${day}&to=${day}`);
      const last = body.rows[body.rows.length - 1];
      if (!last) return "";
      const f = body.fields;
      return ["pm25", "pm10", "so2", "no2", "o3", "co"].filter((k) => last[f.indexOf(k)] != null)
        .map((k) => `<tr><th>${B.pollutantHtml(k)}</th><td>${B.esc(B.num(last[f.indexOf(k)], k))} ${B.esc((body.units[k] || "").replace("m3", "m³"))}</td></tr>`).join("");
    } catch (e) {
      return "";
    }
  };

  // Phones: the side panel is a band above the map that folds to one line (the button shows only on small screens).
  const panel = document.querySelector(".map-page .panel");
  if (panel) {
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "panel-toggle secondary";
    btn.setAttribute("aria-expanded", "true");
    btn.textContent = B.t.finding_hide_panel;
    panel.prepend(btn);
    B.foldPanel = (folded) => {
      panel.classList.toggle("collapsed", folded);
      btn.setAttribute("aria-expanded", String(!folded));
      btn.textContent = folded ? B.t.finding_show_panel : B.t.finding_hide_panel;
      if (window.bluemap && window.bluemap.map) window.bluemap.map.resize();
    };
    btn.addEventListener("click", () => B.foldPanel(!panel.classList.contains("collapsed")));
  }

  // Click handling shared by the Blue Map and near-me pages.
  B.wirePopups = (map) => {
    const popup = (lngLat, html) => new maplibregl.Popup({maxWidth: "320px"}).setLngLat(lngLat).setHTML(html).addTo(map);
    const pick = (e, ids) => map.queryRenderedFeatures(e.point, {layers: B.withCopies(ids).filter((id) => map.getLayer(id))})[0];
    map.on("click", async (e) => {
      const f = pick(e, ["air-stations", "water-stations", "suppliers-logos", "suppliers-status", "factories-points", "factories-clusters"]);
      if (!f) return false;
      const p = f.properties;
      const lid = B.baseId(f.layer.id);
      if (lid === "factories-clusters") {
        if (p.count === 1 && p.id) return popup(e.lngLat, `<p><a class="details" href="/facilities/${p.id}">${B.esc(B.t.facility_page)} →</a></p>`);
        return map.easeTo({center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 12)});
      }
      if (lid === "factories-points") return popup(f.geometry.coordinates, B.popupHtml.factory(p));
      if (lid.startsWith("suppliers") && p.count != null) return map.easeTo({center: f.geometry.coordinates, zoom: Math.min(map.getZoom() + 2, 10)});
      if (lid.startsWith("suppliers")) return popup(f.geometry.coordinates, B.popupHtml.supplier(p));
      if (lid === "water-stations") return popup(f.geometry.coordinates, B.popupHtml.water(p));
      const pop = popup(f.geometry.coordinates, B.popupHtml.air(p, ""));
      const rows = await B.latestReadings(p.id);
      if (rows) pop.setHTML(B.popupHtml.air(p, rows));
    });
    for (const id of B.withCopies(["air-stations", "water-stations", "suppliers-logos", "factories-points", "factories-clusters"])) {
      map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
    }
  };
})();
