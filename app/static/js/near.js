// Pollution near me: a point (geolocation, map click or place name) and a radius -> /api/near.
(function () {
  const B = window.BLUEMAP;
  const params = new URLSearchParams(location.search);
  const map = B.makeMap("map", "blue-map", {center: [108, 34], zoom: 3.6});
  B.wirePopups(map);
  const $ = (id) => document.getElementById(id);
  const msg = $("near-message"), out = $("near-results"), radiusSel = $("near-radius"), placeInput = $("near-place");
  let point = null;
  if (params.get("radius_m")) radiusSel.value = params.get("radius_m");

  const circle = (lon, lat, r) => {
    const pts = [];
    for (let i = 0; i <= 64; i++) {
      const a = (i / 64) * 2 * Math.PI;
      const dy = (r * Math.sin(a)) / 111320, dx = (r * Math.cos(a)) / (111320 * Math.cos((lat * Math.PI) / 180));
      pts.push([lon + dx, lat + dy]);
    }
    return {type: "Feature", geometry: {type: "Polygon", coordinates: [pts]}, properties: {}};
  };
  const drawArea = (lon, lat, r) => {
    const data = {type: "FeatureCollection", features: [circle(lon, lat, r), {type: "Feature", geometry: {type: "Point", coordinates: [lon, lat]}, properties: {}}]};
    if (map.getSource("near-area")) return map.getSource("near-area").setData(data);
    map.addSource("near-area", {type: "geojson", data});
    map.addLayer({id: "near-area-fill", type: "fill", source: "near-area", filter: ["==", ["geometry-type"], "Polygon"], paint: {"fill-color": "#1a73c9", "fill-opacity": 0.08}});
    map.addLayer({id: "near-area-line", type: "line", source: "near-area", filter: ["==", ["geometry-type"], "Polygon"], paint: {"line-color": "#1a73c9", "line-width": 2}});
    map.addLayer({id: "near-area-point", type: "circle", source: "near-area", filter: ["==", ["geometry-type"], "Point"], paint: {"circle-radius": 6, "circle-color": "#1a73c9", "circle-stroke-color": "#fff", "circle-stroke-width": 2}});
  };

  const readings = (latest, units) => latest
    ? ["pm25", "pm10", "so2", "no2", "o3", "co"].filter((k) => latest[k] != null)
        .map((k) => `${B.pollutantHtml(k)} ${B.esc(B.num(latest[k], k))} ${B.esc(((units || {})[k] || "").replace("m3", "m³"))}`).join(" · ")
    : "";
  const bureauHtml = (b) => {
    if (!b) return "";
    const nm = (zh, en) => (B.lang === "zh" ? zh || en : en || zh);
    const local = (b.local || []).map((x) => `<li class="bureau-local"><strong>${B.esc(nm(x.bureau_zh, x.bureau_en))}</strong>
        <small>${B.esc(B.t["finding_level_" + x.level] || "")} · ${B.esc(nm(x.area_zh, x.area_en))}</small></li>`).join("");
    const prov = b.bureau_zh ? `<li class="bureau-province"><strong>${B.esc(nm(b.bureau_zh, b.bureau_en))}</strong>
        <small>${B.esc(B.t.finding_provincial_bureau)} · ${B.esc(nm(b.province_zh, b.province_en))}</small></li>` : "";
    return `<section id="near-bureau"><h2>${B.esc(B.t.finding_bureaus)}</h2><ul class="list">${local}${prov}</ul>
        ${b.hotline ? `<p>${B.esc(B.t.hotline)}: <a href="tel:${B.esc(b.hotline)}">${B.esc(b.hotline)}</a></p>` : ""}
        ${local ? `<p class="hint">${B.esc(B.t.finding_bureau_note)}</p>` : ""}</section>`;
  };
  const airItem = (s, units) => `<li data-station-id="${s.id}"><a href="/stations/${s.id}">${B.esc(B.name(s))}</a>${B.synthTag(s.synthetic)}
      <small class="distance">${B.km(s.distance_m)}</small><br>
      ${s.latest ? `${B.esc(B.t.aqi)} <strong>${s.latest.aqi ?? "NA"}</strong> · ${readings(s.latest, units)}<br>
        <small>${B.esc(B.t.observed_at)} (${B.esc(B.t.local_time)}): ${B.observed(s.latest.observed_at)}</small>` : ""}</li>`;
  const waterItem = (s) => `<li data-station-id="${s.id}"><a href="/stations/${s.id}">${B.esc(B.name(s))}</a>${B.synthTag(s.synthetic)}
      <small class="distance">${B.km(s.distance_m)}</small>
      ${s.latest ? `${B.esc(B.t.water_class)} <strong>${B.esc(B.waterClass(s.latest.water_class))}</strong><br>
        <small>${B.esc(B.t.observed_at)} (${B.esc(B.t.local_time)}): ${B.observed(s.latest.observed_at)}</small>` : ""}</li>`;
  // Stations within the configured distance; when there are none, say so and name the closest with its distance.
  const stationsHtml = (id, key, list, closest, within, item) => {
    const km = Math.round(within / 1000);
    const none = `<li class="none-within">${B.esc(B.tr("finding_none_within", {km}))}${closest
      ? ` ${B.esc(B.t.finding_closest)}:</li>${item(closest)}` : "</li>"}`;
    return `<section id="${id}"><h2>${B.esc(B.tr(key, {km}))}</h2>
      <ul class="list">${list.length ? list.map(item).join("") : none}</ul></section>`;
  };
  const render = (d) => {
    const w = d.station_within_m || {air: 50000, water: 100000};
    const facs = d.facilities.map((f) => `<li data-facility-id="${f.id}">${B.facilityLink(f)}${B.synthTag(f.synthetic)}
        <small>${B.km(f.distance_m)} · ${B.esc(B.industries[f.industry] || f.industry)}</small><br>
        ${B.statusBadge(f.worst_status)} ${B.esc(B.t.violation_count)} ${f.violation_count}${f.latest_violation ? ` · ${B.esc(B.t.latest_violation)} ${B.esc(f.latest_violation)}` : ""}</li>`).join("");
    const more = d.count > d.facilities.length ? `<p class="hint">${B.esc(B.tr("more_facilities", {n: d.count - d.facilities.length}))}</p>` : "";
    if (B.foldPanel) B.foldPanel(false);
    out.innerHTML = `${bureauHtml(d.bureau)}
      ${stationsHtml("near-air", "finding_air_within", d.air_stations || [], d.air_closest, w.air, (s) => airItem(s, d.air_units))}
      ${stationsHtml("near-water", "finding_water_within", d.water_stations || [], d.water_closest, w.water, waterItem)}
      <section id="near-facilities"><h2>${B.esc(B.t.facilities_nearby)} (${d.count})</h2><ul class="list">${facs || `<li>${B.esc(B.t.none_found)}</li>`}</ul>${more}</section>`;
  };

  const run = async (lon, lat) => {
    point = [lon, lat];
    const r = Number(radiusSel.value);
    msg.textContent = "";
    msg.classList.remove("error");
    const q = new URLSearchParams({lon: lon.toFixed(5), lat: lat.toFixed(5), radius_m: r});
    history.replaceState(null, "", `/near?${q}`);
    const draw = () => {
      drawArea(lon, lat, r);
      const c = circle(lon, lat, r).geometry.coordinates[0];
      map.fitBounds([c.reduce((a, p) => [Math.min(a[0], p[0]), Math.min(a[1], p[1])], [999, 999]), c.reduce((a, p) => [Math.max(a[0], p[0]), Math.max(a[1], p[1])], [-999, -999])], {padding: 30, duration: 0});
    };
    if (map.isStyleLoaded()) draw(); else map.once("load", draw);
    try {
      render(await B.getJSON(`/api/near?${q}`));
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add("error");
    }
  };

  const findPlace = async (text) => {
    const body = await B.getJSON(`/api/places?q=${encodeURIComponent(text)}&limit=8`);
    return body.results;
  };
  // "county · Chaoyang, Beijing": the kind and the areas a place lies in, to tell namesakes apart.
  const placeLabel = (p) => [B.t["finding_level_" + p.kind] || "", [p].concat(p.within || []).map(B.name).join(", ")]
    .filter(Boolean).join(" · ");
  let suggestTimer = null;
  placeInput.addEventListener("input", () => {
    clearTimeout(suggestTimer);
    const q = placeInput.value.trim();
    if (!q) return;
    suggestTimer = setTimeout(async () => {
      const res = await findPlace(q).catch(() => []);
      $("near-places").innerHTML = res.map((p) => `<option value="${B.esc(B.name(p))}">${B.esc(placeLabel(p))}</option>`).join("");
    }, 200);
  });

  $("near-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = placeInput.value.trim();
    if (text) {
      const res = await findPlace(text).catch((err) => { msg.textContent = err.message; return null; });
      if (!res) return;
      if (!res.length) { msg.textContent = B.t.place_not_found; msg.classList.add("error"); return; }
      return run(res[0].lon, res[0].lat);
    }
    if (point) run(point[0], point[1]);
  });
  radiusSel.addEventListener("change", () => { if (point) run(point[0], point[1]); });
  map.on("click", (e) => {
    if (map.queryRenderedFeatures(e.point, {layers: B.withCopies(["factories-points", "factories-clusters", "air-stations", "water-stations"]).filter((id) => map.getLayer(id))}).length) return;
    placeInput.value = "";
    run(e.lngLat.lng, e.lngLat.lat);
  });
  $("near-locate").addEventListener("click", () => {
    if (!navigator.geolocation) { msg.textContent = B.t.location_denied; return; }
    msg.textContent = B.t.locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => { placeInput.value = ""; run(pos.coords.longitude, pos.coords.latitude); },
      (err) => { msg.textContent = B.t.location_denied + err.message; msg.classList.add("error"); },
      {enableHighAccuracy: false, timeout: 10000});
  });
  window.bluemap = Object.assign(window.bluemap || {}, {near: run});
  if (params.get("lon") && params.get("lat")) run(Number(params.get("lon")), Number(params.get("lat")));
})();
