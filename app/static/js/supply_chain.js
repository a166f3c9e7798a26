// The Green Supply Chain map: brand logos on their public suppliers (the `suppliers` tiles), a brand filter.
(async function () {
  const B = window.BLUEMAP;
  const select = document.getElementById("brand-filter");
  const tileUrl = (brand) => `${location.origin}/tiles/suppliers/{z}/{x}/{y}.mvt${brand ? `?brand=${encodeURIComponent(brand)}` : ""}`;
  const known = new Set(B.brands.map((b) => b.slug));
  let brand = known.has(B.brand) ? B.brand : "";
  select.value = brand;
  const styleUrl = `/styles/supply-chain.json?lang=${B.lang}${brand ? `&brand=${encodeURIComponent(brand)}` : ""}`;
  const map = B.makeMap("map", "supply-chain", {style: styleUrl, center: [108, 32], zoom: 3.6, hash: true});
  B.wirePopups(map);
  window.bluemap.supplyChain = {brand};

  select.addEventListener("change", () => {
    brand = select.value;
    const source = map.getSource("suppliers");
    if (source) source.setTiles([tileUrl(brand)]);
    const url = new URL(location.href);
    if (brand) url.searchParams.set("brand", brand); else url.searchParams.delete("brand");
    history.replaceState(null, "", url);
    document.querySelectorAll("#brand-list li").forEach((li) => { li.classList.toggle("selected", li.dataset.slug === brand); });
    window.bluemap.supplyChain = {brand};
  });

  await B.loadSprite().catch(() => null);
  document.getElementById("supply-legend").innerHTML = B.legendHtml(B.legend);
  document.querySelectorAll("#brand-list .logo-slot").forEach((el) => { el.innerHTML = B.swatch(el.dataset.logoKey); });
})();
