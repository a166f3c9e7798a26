// The facility page's citizen reports: published reports linked to it, with the bureau's answer when recorded.
(async function () {
  const B = window.BLUEMAP;
  const box = document.getElementById("facility-reports");
  if (!box) return;
  const body = await B.getJSON(`/api/reports?facility_id=${encodeURIComponent(box.dataset.facilityId)}&limit=50`).catch(() => null);
  const items = (body && body.features) || [];
  if (!items.length) return;
  box.querySelector("ul").innerHTML = items.map(({properties: p}) => `<li data-report-id="${p.id}">
      <a href="/reports/${p.id}">R${p.id} · ${B.esc(B.t["report_kind_" + p.kind] || p.kind)}</a>
      · ${B.esc(B.localTime(p.observed_at))} (${B.esc(B.t.local_time)})${p.photo_count ? ` · ${B.esc(B.t.report_photos_label)} ${p.photo_count}` : ""}
      ${p.bureau_answer ? `<br><small>${B.esc(B.t.report_bureau_answer)} (${B.esc(p.answered_on)}): ${B.esc(p.bureau_answer)}</small>` : ""}</li>`).join("");
  box.hidden = false;
})();
