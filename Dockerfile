# Blue Map service image. Needs an external PostGIS: docker run -e DATABASE_URL=postgresql://... -p 8000:8000
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HOST=0.0.0.0 PORT=8000 WORKERS=2

# libpq client for psycopg, GDAL tools for exports, the fonts map labels are rendered from, npm for the
# web app's libraries; PostgreSQL itself runs elsewhere.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client gdal-bin osm2pgsql fonts-dejavu-core fonts-droid-fallback libcairo2 npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/bluemap
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev && npm cache clean --force
COPY pyproject.toml README.md alembic.ini ./
# The rooms of the service, bottom to top (see README "Layout").
COPY core core
COPY standards standards
COPY geo geo
COPY db db
COPY monitoring monitoring
COPY ingest ingest
COPY supply supply
COPY accounts accounts
COPY workflow workflow
COPY reports reports
COPY alerts alerts
COPY indices indices
COPY data data
COPY layers layers
COPY tiles tiles
COPY exports exports
COPY queries queries
COPY app app
COPY ops ops
COPY migrations migrations
RUN pip install -e . && useradd --system --home /srv/bluemap bluemap && chown -R bluemap /srv/bluemap
USER bluemap

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
# Migrate, load the bundled data on first start, then serve.
CMD ["sh", "-c", "bluemap db upgrade && bluemap load all --if-empty && bluemap serve"]
