// A station page: hourly or daily series from /api/stations/<id>/readings as charts, a table and a CSV link.
(function () {
  const B = window.BLUEMAP;
  const S = B.station;
  const $ = (id) => document.getElementById(id);
  const form = $("station-form"), from = $("st-from"), to = $("st-to"), interval = $("st-interval");
  const charts = $("charts"), table = $("st-table"), msg = $("st-message");
  const LABEL = {pm25: "PM2.5", pm10: "PM10", so2: "SO2", no2: "NO2", co: "CO", o3: "O3", o3_8h_max: "O3 8h max",
                 o3_1h_max: "O3 1h max", aqi: "AQI", ph: "pH", do_mg: "DO", codmn: "CODMn", nh3n: "NH3-N", tp: "TP",
                 tn: "TN", turbidity: "Turbidity", conductivity: "Conductivity"};
  if (S.kind === "water") { interval.value = "hour"; interval.disabled = true; }
  let plots = [];

  const query = (extra) => {
    const q = new URLSearchParams({interval: interval.value, ...(extra || {})});
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    return q;
  };
  const when = (row, f) => f.indexOf("day") >= 0
    ? Date.parse(row[f.indexOf("day")] + "T00:00:00+08:00") / 1000
    : Date.parse(row[f.indexOf("observed_at")]) / 1000;

  const draw = (body) => {
    plots.forEach((p) => p.destroy());
    plots = [];
    charts.innerHTML = "";
    const f = body.fields, rows = body.rows;
    const xs = rows.map((r) => when(r, f));
    const air = S.kind === "air";
    const series = air ? ["aqi", "pm25", "pm10", "so2", "no2", "co", interval.value === "day" ? "o3_8h_max" : "o3"]
                       : ["ph", "do_mg", "codmn", "nh3n", "tp"];
    for (const key of series.filter((k) => f.includes(k))) {
      const i = f.indexOf(key);
      const unit = key === "aqi" ? "" : (body.units[key.replace(/_8h_max|_1h_max/, "")] || "");
      const box = document.createElement("div");
      box.className = "chart";
      box.dataset.series = key;
      box.innerHTML = `<h3>${B.esc(LABEL[key] || key)} ${unit ? `(${B.esc(unit)})` : ""}</h3>`;
      charts.appendChild(box);
      plots.push(new uPlot({width: Math.max(charts.clientWidth - 4, 300), height: 160, legend: {show: false},
        series: [{}, {label: LABEL[key] || key, stroke: key === "aqi" ? "#1f4e79" : "#1a73c9", width: 1.2, spanGaps: false}]},
        [xs, rows.map((r) => r[i])], box));
    }
    const cols = f.filter((k) => !k.startsWith("iaqi_") && !k.startsWith("hours_") && k !== "colour" && k !== "scale" && k !== "o3_8h_windows");
    const catName = (level) => { const c = (body.categories || [])[level - 1]; return c ? (B.lang === "zh" ? c.name_zh : c.name_en) : ""; };
    table.innerHTML = `<thead><tr>${cols.map((k) => `<th>${B.esc(k === "category" ? B.t.category : LABEL[k] || k)}</th>`).join("")}</tr></thead>
      <tbody>${rows.slice().reverse().slice(0, 500).map((r) => `<tr>${cols.map((k) => {
        const v = r[f.indexOf(k)];
        if (k === "category" && v) return `<td><span class="swatch" style="background:${B.esc(r[f.indexOf("colour")])}"></span> ${B.esc(catName(v))}</td>`;
        return `<td>${B.esc(Array.isArray(v) ? v.join(" ") : v ?? "—")}</td>`;
      }).join("")}</tr>`).join("")}</tbody>`;
    const scales = [...new Set(rows.map((r) => r[f.indexOf("scale")]).filter(Boolean))];
    $("st-scale").textContent = scales.length ? `${B.t.aqi_scale}: ${scales.join(", ")}` : "";
    msg.textContent = rows.length ? "" : B.t.no_data;
  };

  const load = async () => {
    msg.textContent = "";
    msg.classList.remove("error");
    try {
      const body = await B.getJSON(`/api/stations/${S.id}/readings?${query()}`);
      if (!from.value) from.value = (body.from || "").slice(0, 10);
      if (!to.value) to.value = (body.to || body.before || "").slice(0, 10);
      $("st-csv").href = `/api/stations/${S.id}/readings?${query({format: "csv"})}`;
      draw(body);
      window.bluemap = Object.assign(window.bluemap || {}, {series: body});
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add("error");
    }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  interval.addEventListener("change", () => { from.value = ""; to.value = ""; load(); });
  load();
})();
