// The Blue Carbon Map: year slider, metric and class scheme; legend, ranking and trend from /api/carbon.
(async function () {
  const B = window.BLUEMAP;
  const $ = (id) => document.getElementById(id);
  const year = $("carbon-year"), metric = $("carbon-metric"), scheme = $("carbon-scheme");
  const level = $("carbon-level"), seriesSel = $("carbon-series");
  const map = B.makeMap("map", "carbon-map", {center: [105, 36], zoom: 3.3});
  let selected = null, chart = null, areas = [], initial = true;
  const fmt = (v) => (v == null ? "—" : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));

  // Years per series: the slider follows the chosen series (the city series never mix, nor share years).
  const setYears = (body) => {
    year.min = body.years[0];
    year.max = body.years[body.years.length - 1];
    year.value = body.year;
  };
  const showSeries = () => {
    for (const o of seriesSel.options) o.hidden = o.dataset.level !== level.value;
    if (seriesSel.selectedOptions[0].hidden) seriesSel.value = [...seriesSel.options].find((o) => !o.hidden).value;
    $("carbon-series-note").hidden = level.value !== "city";
  };
  showSeries();
  setYears(await B.getJSON("/api/carbon"));

  const state = () => ({year: year.value, level: level.value, series: seriesSel.value, metric: metric.value,
                        scheme: scheme.value});
  const tilesUrl = () => `${location.origin}/tiles/carbon/{z}/{x}/{y}.mvt?${new URLSearchParams(state())}`;

  const hasData = (body) => body.areas.some((a) => a.value != null);
  const note = (body) => (body.note ? body.note[B.lang === "zh" ? "zh" : "en"] : null);
  const legend = (body) => {
    if (!hasData(body)) { $("carbon-legend").innerHTML = `<li class="no-data">${B.esc(note(body) || B.t.no_metric_data)}</li>`; return; }
    const colours = B.legend.map((l) => l[2]);
    let lo = Math.min(...body.areas.map((a) => a.value ?? Infinity));
    $("carbon-legend").innerHTML = body.breaks.map((b, i) => {
      const row = `<li>${B.swatch(colours[i])} ${fmt(lo)} – ${fmt(b)}</li>`;
      lo = b;
      return row;
    }).join("") + (note(body) ? `<li class="no-data"><span class="swatch"></span> ${B.esc(note(body))}</li>` : "");
  };
  const ranking = (body) => {
    $("carbon-ranking").innerHTML = `<thead><tr><th>${B.esc(B.t.rank)}</th><th>${B.esc(B.t.area)}</th><th>${B.esc(B.t["metric_" + body.metric])}</th></tr></thead>
      <tbody>${body.areas.map((a) => `<tr data-code="${a.code}" class="${a.code === selected ? "selected" : ""}"><td>${a.rank ?? "—"}</td>
        <td>${a.class ? B.swatch(B.legend[a.class - 1][2]) : '<span class="swatch"></span>'} ${B.esc(B.name(a))}</td><td class="num">${a.value == null ? `<small>${B.esc(note(body) || B.t.no_metric_area)}</small>` : fmt(a.value)}</td></tr>`).join("")}</tbody>`;
    for (const tr of $("carbon-ranking").querySelectorAll("tbody tr")) {
      tr.addEventListener("click", () => { selected = tr.dataset.code; ranking(body); trend(); });
    }
  };
  const trend = async () => {
    const m = metric.value;
    const q = new URLSearchParams({level: level.value, series: seriesSel.value, ...(selected ? {code: selected} : {})});
    const body = await B.getJSON(`/api/carbon/trend?${q}`);
    const xs = body.national.map((r) => r.year);
    const total = body.total_kind === "cities" ? B.t.rd_cities_total : B.t.national_total;
    const series = [{label: B.t.year}, {label: total, stroke: "#3d6a9e", width: 2}];
    const data = [xs, body.national.map((r) => r[m])];
    if (body.area) {
      const a = areas.find((x) => x.code === selected);
      series.push({label: a ? B.name(a) : selected, stroke: "#e34a33", width: 2, scale: "area"});
      data.push(body.area.map((r) => r[m]));
    }
    const el = $("carbon-trend");
    if (chart) { chart.destroy(); chart = null; }
    el.innerHTML = "";
    if (!data.slice(1).some((ys) => ys.some((y) => y != null))) {
      el.innerHTML = `<p class="no-data">${B.esc((window.bluemap.carbon && note(window.bluemap.carbon)) || B.t.no_metric_data)}</p>`;
      return;
    }
    // Both value axes start at zero and are labelled with the metric, so a small change does not look large.
    const fromZero = (u, lo, hi) => [0, hi > 0 ? hi * 1.08 : 1];
    const label = B.t["metric_" + m];
    chart = new uPlot({width: Math.max(el.clientWidth, 280), height: 200, series,
      scales: {x: {time: false}, y: {range: fromZero}, area: {range: fromZero}},
      axes: [{splits: () => xs, values: (u, v) => v.map((x) => String(x))}, {label, size: 60},
             ...(body.area ? [{scale: "area", side: 1, label: B.name(areas.find((x) => x.code === selected) || {})}] : [])]}, data, el);
    window.bluemap.carbonTrend = chart;
  };
  const refresh = async () => {
    $("carbon-year-label").textContent = year.value;
    const body = await B.getJSON(`/api/carbon?${new URLSearchParams(state())}`);
    areas = body.areas;
    const n = note(body);
    $("carbon-note").hidden = !n;
    $("carbon-note").textContent = n ? (body.missing < body.areas.length
      ? `${body.missing} / ${body.areas.length}: ${n}` : n) : "";
    $("carbon-source").textContent = body.source ? `${B.t.rd_source}: ${body.source.attribution} (${body.source.licence})` +
      (body.unplaced ? ` ${B.t.rd_unplaced.replace("{n}", body.unplaced)}` : "") : "";
    legend(body);
    ranking(body);
    trend();
    // The style's tiles already show the defaults (latest year, total, quantiles); later choices swap the URL.
    const src = map.getSource("carbon");
    if (src && !initial) src.setTiles([tilesUrl()]);
    initial = false;
    window.bluemap.carbon = body;
  };
  for (const el of [year, metric, scheme]) el.addEventListener("input", refresh);
  const reseries = async () => {
    showSeries();
    selected = null;
    setYears(await B.getJSON(`/api/carbon?${new URLSearchParams({level: level.value, series: seriesSel.value})}`));
    refresh();
  };
  level.addEventListener("input", reseries);
  seriesSel.addEventListener("input", reseries);
  const popup = (e) => {
    const p = e.features[0].properties;
    const a = areas.find((x) => x.code === p.code);
    new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<h3>${B.esc(B.name(p))}</h3>
      <p>${B.esc(B.t.year)} ${p.year}</p><p>${B.esc(B.t["metric_" + metric.value])}: <strong>${p.value == null && note(window.bluemap.carbon) ? B.esc(note(window.bluemap.carbon)) : fmt(p.value)}</strong></p>
      ${a && a.rank ? `<p>${B.esc(B.t.rank)} ${a.rank} / ${areas.length}</p>` : ""}
      ${p.level === "city" && e.features[0].geometry.type === "Point" ? `<p><small>${B.esc(B.t.rd_city_point)}</small></p>` : ""}
      ${window.bluemap.carbon.source ? `<p><small>${B.esc(B.t.rd_source)}: ${B.esc(window.bluemap.carbon.source.attribution)} (${B.esc(window.bluemap.carbon.source.licence)})</small></p>` : ""}`).addTo(map);
    selected = p.code;
    ranking({...window.bluemap.carbon});
    trend();
  };
  map.on("click", B.withCopies(["carbon-fill", "carbon-point"]), popup);
  await refresh();
})();
