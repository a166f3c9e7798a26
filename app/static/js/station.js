// A station page: hourly or daily series from /api/stations/<id>/readings as charts, a table and a CSV link.
(function () {
  const B = window.BLUEMAP;
  const S = B.station;
  const $ = (id) => document.getElementById(id);
  const form = $("station-form"), from = $("st-from"), to = $("st-to"), interval = $("st-interval");
  const charts = $("charts"), table = $("st-table"), msg = $("st-message");
  // Column headers: pollutants as written (HTML), other fields in words; times are Beijing time.
  const HEAD = {day: B.t.date, observed_at: `${B.t.time} (${B.t.local_time})`, hours: B.t.coverage,
                category: B.t.category, primary_pollutants: B.t.primary_pollutant, over_standard: B.t.over_standard,
                water_class: B.t.water_class, synthetic: B.t.field_synthetic};
  const latest = document.querySelector("#st-latest .observed[data-observed]");
  if (latest) latest.textContent = `${B.localTime(latest.dataset.observed)} (${B.ago(latest.dataset.observed)})`;
  const head = (k) => (k in HEAD ? B.esc(HEAD[k]) : B.pollutantHtml(k));
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

  // Chart times in Beijing time whatever the browser's zone.
  const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), "Asia/Shanghai");
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
      box.innerHTML = `<h3>${B.pollutantHtml(key)} ${unit ? `(${B.esc(unit.replace("m3", "m³"))})` : ""}</h3>`;
      charts.appendChild(box);
      plots.push(new uPlot({width: Math.max(charts.clientWidth - 4, 300), height: 160, legend: {show: false}, tzDate,
        series: [{}, {label: B.pollutantText(key), stroke: key === "aqi" ? "#1f4e79" : "#1a73c9", width: 1.2, spanGaps: false}]},
        [xs, rows.map((r) => r[i])], box));
    }
    const cols = f.filter((k) => !k.startsWith("iaqi_") && !k.startsWith("hours_") && k !== "colour" && k !== "scale" && k !== "o3_8h_windows");
    const catName = (level) => { const c = (body.categories || [])[level - 1]; return c ? (B.lang === "zh" ? c.name_zh : c.name_en) : ""; };
    const unitOf = (k) => (k in HEAD ? "" : ((body.units || {})[k.replace(/_8h_max|_1h_max/, "")] || "").replace("m3", "m³"));
    const cell = (r, k) => {
      const v = r[f.indexOf(k)];
      if (k === "category" && v) return `<span class="swatch" style="background:${B.esc(r[f.indexOf("colour")])}"></span> ${B.esc(catName(v))}`;
      if (k === "primary_pollutants" || k === "over_standard") return v && v.length ? B.pollutantList(v) : "—";
      if (k === "observed_at") return B.esc(B.localTime(v));
      if (k === "water_class") return B.esc(B.waterClass(v));
      if (k === "synthetic") return v ? B.esc(B.t.yes) : B.esc(B.t.no);
      return B.esc(B.num(v, k));
    };
    table.innerHTML = `<thead><tr>${cols.map((k) => `<th data-field="${B.esc(k)}">${head(k)}${unitOf(k) ? ` <small>${B.esc(unitOf(k))}</small>` : ""}</th>`).join("")}</tr></thead>
      <tbody>${rows.slice().reverse().slice(0, 500).map((r) => `<tr>${cols.map((k) => `<td>${cell(r, k)}</td>`).join("")}</tr>`).join("")}</tbody>`;
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
