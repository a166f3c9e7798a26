// The search results page: /search?q= rendered from /api/search.
(async function () {
  const B = window.BLUEMAP;
  const q = new URLSearchParams(location.search).get("q") || "";
  const msg = document.getElementById("search-message");
  const list = document.getElementById("search-list");
  if (!q.trim()) return;
  msg.textContent = B.t.searching;
  try {
    const body = await B.getJSON(`/api/search?q=${encodeURIComponent(q)}&limit=50`);
    msg.textContent = body.results.length ? "" : B.t.no_results;
    list.innerHTML = body.results.map((r) => `<li>${B.facilityLink(r)}${B.synthTag(r.synthetic)}
      <small>${B.esc(B.industries[r.industry] || r.industry || "")} · ${B.esc(B.t.violation_count)} ${r.violation_count ?? 0}${r.uscc ? " · " + B.esc(r.uscc) : ""}</small></li>`).join("");
  } catch (e) {
    msg.textContent = e.message;
    msg.classList.add("error");
  }
})();
