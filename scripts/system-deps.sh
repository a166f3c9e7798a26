#!/usr/bin/env bash
# Install the operating-system packages the service needs, when they are missing.
# Usage: scripts/system-deps.sh [server|test|bench]
set -euo pipefail
want="${1:-server}"
pkgs=()
have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }
if [ -z "${DATABASE_URL:-}" ] || [ "$want" != server ]; then
  have_pg || pkgs+=(postgresql)
  have_postgis || pkgs+=(postgresql-postgis)
fi
# The web app's libraries (MapLibre GL JS, uPlot) come from npm.
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
# Map label glyphs are rendered from these fonts (Latin and CJK).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || pkgs+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || pkgs+=(fonts-droid-fallback)
# `bluemap basemap load` imports OpenStreetMap extracts with osm2pgsql (flex output).
command -v osm2pgsql >/dev/null 2>&1 || pkgs+=(osm2pgsql)
# SVG brand logos are rasterised by CairoSVG, which loads the cairo library.
ldconfig -p 2>/dev/null | grep 'libcairo\.so\.2' >/dev/null || pkgs+=(libcairo2)
if [ "$want" = test ] || [ "$want" = bench ]; then
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
  command -v ogr2ogr >/dev/null 2>&1 || pkgs+=(gdal-bin)
  # GeoPackage exports are checked with GDAL's validate_gpkg.py, run by /usr/bin/python3 with these bindings
  # (gdal-bin pulls them in on Debian today; asked for by name so the tests never depend on that).
  /usr/bin/python3 -c 'import osgeo_utils.samples.validate_gpkg' >/dev/null 2>&1 || pkgs+=(python3-gdal)
fi
if [ "$want" = test ] || [ "$want" = bench ]; then
  # The reference front proxy (deploy/nginx.conf) is tested and benchmarked with Debian's nginx.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs+=(nginx-light)
  # The e-mail tests make a self-signed certificate for their TLS SMTP server.
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
fi
if [ "$want" = bench ]; then
  command -v wrk >/dev/null 2>&1 || pkgs+=(wrk)
fi
[ ${#pkgs[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${pkgs[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "installing system packages: ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && $cmd >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "installing system packages with sudo: ${pkgs[*]}"
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive $cmd >/dev/null
else
  echo "Missing system packages. Please run:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
