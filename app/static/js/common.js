// Shared by every page: text lookup, escaping, JSON fetch with readable errors, the search box.
(function () {
  const B = window.BLUEMAP;
  B.tr = (key, vars) => {
    let s = B.t[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
    return s;
  };
  B.esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  B.name = (o) => (B.lang === "zh" ? o.name_zh || o.name_en : o.name_en || o.name_zh) || "";
  B.getJSON = async (url) => {
    const r = await fetch(url, {headers: {Accept: "application/json"}});
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
    return body;
  };
  B.statusBadge = (s) => `<span class="status-badge status-${B.esc(s)}">${B.esc(B.t["status_" + s] || s)}</span>`;
  // Codes in words: tiers, water classes; pollutants as written (HTML subscripts, or Unicode ones for canvases).
  B.tier = (code) => B.t["tier_" + code] || code || "";
  B.waterClass = (c) => (c ? (B.water_classes || {})[c] || c : "NA");
  const WRITTEN = {pm25: "PM2.5", pm10: "PM10", so2: "SO<sub>2</sub>", no2: "NO<sub>2</sub>", o3: "O<sub>3</sub>",
                   co: "CO", aqi: "AQI", nox: "NO<sub>x</sub>"};
  B.pollutantHtml = (k) => WRITTEN[k] || (k.startsWith("o3_") ? `O<sub>3</sub> ${B.esc(B.t["field_" + k] || k)}`
                                                               : B.esc(B.t["field_" + k] || k));
  B.pollutantText = (k) => B.pollutantHtml(k).replace(/<sub>(\d)<\/sub>/g, (_, d) => String.fromCharCode(0x2080 + Number(d))).replace(/<[^>]+>/g, "");
  B.pollutantList = (codes) => (codes || []).map(B.pollutantHtml).join(B.lang === "zh" ? "、" : ", ");
  // Sensible decimals per quantity: µg/m³ to 0.1, CO (mg/m³) to 0.01, indices and hours whole.
  const DECIMALS = {pm25: 1, pm10: 1, so2: 1, no2: 1, o3: 1, o3_8h_max: 1, o3_1h_max: 1, co: 2, aqi: 0, hours: 0,
                    ph: 2, do_mg: 2, codmn: 2, nh3n: 3, tp: 3, tn: 2, turbidity: 1, conductivity: 0};
  B.num = (v, k) => (v == null || v === "" ? "—" : typeof v !== "number" ? String(v)
    : k in DECIMALS ? Number(v.toFixed(DECIMALS[k])).toLocaleString(B.lang === "zh" ? "zh-CN" : "en", {minimumFractionDigits: DECIMALS[k], maximumFractionDigits: DECIMALS[k]})
    : String(v));
  // A moment in Beijing time, to the minute ("2017-02-28 23:00").
  const BEIJING = new Intl.DateTimeFormat("sv-SE", {timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
                                                     day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false});
  B.localTime = (iso) => (iso ? BEIJING.format(new Date(iso)) : "—");
  // How long ago a moment was ("9 years ago", "9年前"); a reading older than a day is stale.
  const AGES = [["year", 31557600], ["month", 2629800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  B.ago = (iso) => {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    const [unit, n] = AGES.find(([, n]) => s >= n) || ["minute", 60];
    return new Intl.RelativeTimeFormat(B.lang === "zh" ? "zh-CN" : "en", {numeric: "auto"}).format(-Math.floor(s / n), unit);
  };
  B.isStale = (iso) => Date.now() - Date.parse(iso) > 86400000;
  // HTML: "2017-02-28 23:00 (9 years ago)", marked out of date when stale.
  B.observed = (iso) => (iso ? `<span class="observed${B.isStale(iso) ? " stale" : ""}">${B.esc(B.localTime(iso))} (${B.esc(B.ago(iso))})${
    B.isStale(iso) ? ` <span class="stale-tag">${B.esc(B.t.finding_stale)}</span>` : ""}</span>` : "—");
  B.synthTag = (flag) => (flag ? ` <span class="synthetic-tag" title="${B.esc(B.t.synthetic)}">${B.esc(B.t.synthetic_short)}</span>` : "");
  B.facilityLink = (f) => `<a href="/facilities/${f.id}">${B.esc(B.name(f))}</a>`;
  B.km = (m) => (m >= 1000 ? `${(m / 1000).toFixed(1)} ${B.t.km}` : `${Math.round(m)} ${B.t.m}`);

  // Search box: results drop down while typing; Enter opens the full results page.
  const input = document.getElementById("search-q");
  const drop = document.getElementById("search-dropdown");
  if (!input || !drop) return;
  let timer = null, seq = 0;
  const render = (html) => { drop.innerHTML = html; drop.hidden = !html; };
  B.renderSearch = (body) => body.results.length
    ? body.results.map((r) => `<a class="result" href="/facilities/${r.id}">${B.esc(B.name(r))}${B.synthTag(r.synthetic)}
        <small>${B.esc(B.industries[r.industry] || r.industry || "")} · ${B.esc(B.t.violation_count)} ${r.violation_count ?? 0}${r.uscc ? " · " + B.esc(r.uscc) : ""}</small></a>`).join("")
    : `<p class="empty">${B.esc(B.t.no_results)}</p>`;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) return render("");
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const body = await B.getJSON(`/api/search?q=${encodeURIComponent(q)}&limit=8`);
        if (mine === seq) render(B.renderSearch(body));
      } catch (e) {
        if (mine === seq) render(`<p class="error">${B.esc(e.message)}</p>`);
      }
    }, 200);
  });
  input.addEventListener("keydown", (e) => { if (e.key === "Escape") render(""); });
  document.addEventListener("click", (e) => { if (!drop.contains(e.target) && e.target !== input) render(""); });
})();
