// The facility page's map inset.
(function () {
  const B = window.BLUEMAP;
  const f = B.facility;
  if (f.lon == null) return;
  const map = B.makeMap("inset", "blue-map", {center: [f.lon, f.lat], zoom: 12, interactive: true});
  B.wirePopups(map);
  new maplibregl.Marker({color: "#1a73c9"}).setLngLat([f.lon, f.lat]).addTo(map);
})();
