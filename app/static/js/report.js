// The report form: a place (position, map click, place search or a photo's GPS), photos checked by the server
// (their EXIF position and time shown for confirmation), facilities within 1 km to link, then POST /api/reports.
(function () {
  const B = window.BLUEMAP, R = B.report;
  const $ = (id) => document.getElementById(id);
  const form = $("report-form"), msg = $("report-message");
  const map = B.makeMap("report-map", "blue-map", {center: [108, 34], zoom: 3.2});
  let marker = null;
  const say = (text, cls) => { msg.textContent = text; msg.className = `message ${cls || ""}`; };

  // Beijing time now, as a datetime-local value.
  const beijing = (d) => new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 16);
  $("report-when").value = beijing(new Date());

  const facilities = async (lon, lat) => {
    const box = $("report-facilities");
    const q = new URLSearchParams({lon: lon.toFixed(6), lat: lat.toFixed(6), radius_m: 1000, limit: 10});
    const d = await B.getJSON(`/api/near?${q}`).catch(() => null);
    const list = (d && d.facilities) || [];
    $("report-facilities-box").hidden = !list.length;
    box.innerHTML = list.map((f) => `<label><input type="radio" name="facility_id" value="${f.id}">
        ${B.esc(B.name(f))} <small>${B.km(f.distance_m)}</small></label>`).join("")
      + `<label><input type="radio" name="facility_id" value="" checked> ${B.esc(B.t.report_facility_none)}</label>`;
  };
  const setPoint = (lon, lat, source, label) => {
    $("report-lon").value = lon.toFixed(6);
    $("report-lat").value = lat.toFixed(6);
    $("report-source").value = source;
    $("report-point").textContent = `${B.t.report_place_chosen}: ${lat.toFixed(5)}, ${lon.toFixed(5)}`
      + ` (${B.t["report_source_" + source]}${label ? ` · ${label}` : ""})`;
    if (!marker) marker = new maplibregl.Marker({color: "#d7301f"});
    marker.setLngLat([lon, lat]).addTo(map);
    map.jumpTo({center: [lon, lat], zoom: Math.max(map.getZoom(), 14)});
    facilities(lon, lat);
  };
  map.on("click", (e) => setPoint(e.lngLat.lng, e.lngLat.lat, "map"));
  $("report-locate").addEventListener("click", () => {
    if (!navigator.geolocation) return say(B.t.location_denied, "error");
    say(B.t.locating);
    navigator.geolocation.getCurrentPosition(
      (pos) => { say(""); setPoint(pos.coords.longitude, pos.coords.latitude, "device"); },
      (err) => say(B.t.location_denied + err.message, "error"), {enableHighAccuracy: true, timeout: 10000});
  });
  const findPlace = async () => {
    const text = $("report-place").value.trim();
    if (!text) return;
    try {
      const res = (await B.getJSON(`/api/places?q=${encodeURIComponent(text)}&limit=8`)).results;
      if (!res.length) return say(B.t.place_not_found, "error");
      say("");
      setPoint(res[0].lon, res[0].lat, "place", B.name(res[0]));
    } catch (e) { say(e.message, "error"); }
  };
  $("report-place-go").addEventListener("click", findPlace);
  $("report-place").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); findPlace(); } });

  // Each chosen photo goes to the server, which reads its EXIF position and time (and keeps nothing).
  const photoRow = (file, info) => {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = URL.createObjectURL(file);
    img.alt = file.name;
    li.appendChild(img);
    const text = document.createElement("span");
    li.appendChild(text);
    if (info.error) { text.textContent = `${file.name}: ${info.error}`; text.className = "error"; return li; }
    const gps = info.lat != null ? `${B.t.report_photo_gps}: ${info.lat.toFixed(5)}, ${info.lon.toFixed(5)}` : B.t.report_photo_no_gps;
    text.textContent = `${gps}${info.taken_at ? ` · ${B.t.report_photo_time}: ${info.taken_at.replace("T", " ").slice(0, 16)}` : ""}`;
    if (info.lat != null) {
      const b = document.createElement("button");
      b.type = "button"; b.className = "use-photo-place"; b.textContent = B.t.report_use_photo_place;
      b.addEventListener("click", () => setPoint(info.lon, info.lat, "photo"));
      li.appendChild(b);
    }
    if (info.taken_at) {
      const b = document.createElement("button");
      b.type = "button"; b.className = "use-photo-time"; b.textContent = B.t.report_use_photo_time;
      b.addEventListener("click", () => { $("report-when").value = info.taken_at.slice(0, 16); });
      li.appendChild(b);
    }
    return li;
  };
  $("report-photos").addEventListener("change", async (e) => {
    const files = Array.from(e.target.files);
    const list = $("report-photo-info");
    list.innerHTML = "";
    say("");
    if (files.length > R.max_photos) return say(B.tr("report_too_many_photos", {n: R.max_photos}), "error");
    for (const file of files) {
      let info;
      if (file.size > R.max_bytes) info = {error: B.tr("report_photo_too_big", {mb: R.max_bytes / 1048576})};
      else {
        const fd = new FormData();
        fd.append("photo", file);
        const r = await fetch("/api/reports/photo-check", {method: "POST", body: fd, headers: csrfHeader()});
        info = await r.json().catch(() => ({error: `${r.status}`}));
      }
      list.appendChild(photoRow(file, info));
      if (info.lat != null && !$("report-lon").value) setPoint(info.lon, info.lat, "photo");
    }
  });

  const csrfHeader = () => {
    const token = form.querySelector("input[name=_csrf]");
    return token ? {"X-CSRF-Token": token.value} : {};
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!form.querySelector("input[name=kind]:checked")) return say(B.t.report_need_kind, "error");
    if (!$("report-lon").value) return say(B.t.report_need_place, "error");
    $("report-observed-at").value = `${$("report-when").value.slice(0, 16)}:00+08:00`;
    const fd = new FormData(form);
    const files = $("report-photos").files;
    if (Array.from(files).reduce((n, f) => n + f.size, 0) > R.total_bytes) {
      return say(B.tr("report_photo_too_big", {mb: R.max_bytes / 1048576}), "error");
    }
    $("report-submit").disabled = true;
    say(B.t.report_sending);
    try {
      const r = await fetch("/api/reports", {method: "POST", body: fd, headers: {Accept: "application/json", ...csrfHeader()}});
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
      say(B.tr("report_thanks", {id: body.id}), "ok");
      form.reset();
      $("report-when").value = beijing(new Date());
      $("report-photo-info").innerHTML = "";
      window.bluemap.lastReport = body;
    } catch (err) {
      say(err.message, "error");
    } finally {
      $("report-submit").disabled = false;
    }
  });
  window.bluemap = Object.assign(window.bluemap || {}, {setPoint});
})();
