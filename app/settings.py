"""One typed settings object, read from the environment (and .env) when asked for, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Service configuration; every field documented in .env.example."""

    model_config = SettingsConfigDict(env_prefix="BLUEMAP_", env_file=".env", extra="ignore")

    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "BLUEMAP_DATABASE_URL"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST", "BLUEMAP_HOST"))
    port: int = Field(8000, validation_alias=AliasChoices("PORT", "BLUEMAP_PORT"))
    workers: int = Field(2, validation_alias=AliasChoices("WORKERS", "BLUEMAP_WORKERS"))
    var_dir: Path = PROJECT_ROOT / "var"
    pg_port: int = 54329
    pg_user: str = "bluemap"
    pg_database: str = "bluemap"
    pool_min: int = 1
    pool_max: int = 8
    statement_timeout_ms: int = 15000
    db_wait_s: float = 3.0  # longest wait for a database connection before a request answers 503
    db_retry_s: float = 5.0  # after a failed connection, answer 503 at once for this long (then try again)
    tile_cache: bool = True
    aqi_cutover: str = "2026-03-01"
    # Live air data: the OpenAQ v3 API key (`bluemap fetch openaq`; the worker fetches hourly when it is set).
    openaq_api_key: str | None = None
    openaq_country: str = "CN"
    # Largest export answered directly (rows; tiles for PMTiles); above it the answer is 413 and a job.
    export_max_rows: int = 100_000
    export_max_tiles: int = 5_000
    # Export jobs (run by `bluemap worker`): caps refused with 413, concurrency refused with 429, and how many
    # times a job that lost the database is tried.
    export_job_max_rows: int = Field(2_000_000, ge=1)
    export_job_max_tiles: int = Field(200_000, ge=1)
    export_job_max_seconds: int = Field(1800, ge=1)
    export_job_max_bytes: int = Field(2_000_000_000, ge=1)
    export_jobs_per_client: int = Field(2, ge=1)
    export_jobs_max_active: int = Field(20, ge=1)
    export_job_attempts: int = Field(3, ge=1)
    # Supplier lists of more rows than this are matched by `bluemap worker` (202 and a progress URL).
    list_inline_rows: int = Field(2_000, ge=0)
    secret_key: str | None = None  # signs session cookies; generated once into var/secret_key when unset
    secure_cookies: bool = False  # session cookie only over HTTPS (set behind a TLS proxy)
    # Reverse proxies in front whose X-Forwarded-For/-Proto/-Host/-Port/-Prefix are trusted (werkzeug ProxyFix);
    # 0: those headers are ignored (a client could forge them).
    proxy_fix: int = Field(0, ge=0, le=10)
    log_level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR
    # Citizen reports: the public map shows positions snapped to a grid of this many metres (0: exact); a
    # whole report (up to 6 photos of 10 MB) at most this many MB, refused from its Content-Length; submissions
    # per client address and per account in an hour.
    report_round_m: int = Field(100, ge=0, le=10_000)
    report_max_mb: int = Field(25, ge=1, le=100)
    report_limit_per_ip: int = Field(20, ge=1)
    report_limit_per_user: int = Field(10, ge=1)
    log_json: bool = False  # one JSON object per log line (for log collectors)
    # Read replicas (comma-separated URLs): public reads go to a healthy one whose replay lag is at most
    # replica_max_lag_s; replica_check_s between health and lag checks of each.
    replica_urls: str = Field("", validation_alias=AliasChoices("DATABASE_REPLICA_URLS", "BLUEMAP_REPLICA_URLS"))
    replica_max_lag_s: float = Field(30.0, ge=0)
    replica_check_s: float = Field(2.0, gt=0)
    metrics: bool = True  # GET /metrics in Prometheus format
    pmtiles_url: str | None = None  # a PMTiles archive (bluemap tiles publish) the styles use for its zooms
    pmtiles_maxzoom: int = Field(6, ge=0, le=10)  # the --maxzoom it was published with
    # Archives served by the app itself under /pmtiles/NAME.pmtiles (with Range requests); default var/pmtiles.
    # BLUEMAP_PMTILES_URL may then be a path such as /pmtiles/bluemap.pmtiles.
    pmtiles_dir: Path | None = None
    # An external vector basemap instead of the embedded basemap and streets layers: a .pmtiles archive or a
    # TileJSON URL whose tiles have this service's `basemap` and `streets` source layers (a path: this service).
    basemap_url: str | None = None
    # Near me: stations farther than this are not called near (the closest is named with its distance).
    near_air_km: float = Field(50.0, gt=0, le=5000)
    near_water_km: float = Field(100.0, gt=0, le=5000)
    # Alerts (sent by `bluemap worker`): the SMTP server (smtp://user:pass@host:587, STARTTLS when offered;
    # smtps://host:465; unset: no e-mail), the sender, the address links in messages point to, and webhook
    # retries (backoff base doubling up to an hour, for 24 h) and pause after that many failures in a row.
    smtp_url: str | None = Field(None, validation_alias=AliasChoices("SMTP_URL", "BLUEMAP_SMTP_URL"))
    alerts_from: str = "Blue Map <alerts@localhost>"
    public_url: str | None = None  # e.g. https://bluemap.example.org (default: http://HOST:PORT)
    alerts_backoff_s: float = Field(30.0, gt=0)
    alerts_pause_after: int = Field(10, ge=1)
    alerts_lease_s: float = Field(120.0, gt=0)

    def embedded_url(self) -> str:
        """URL of the embedded cluster under var/."""
        return f"postgresql://{self.pg_user}@127.0.0.1:{self.pg_port}/{self.pg_database}"

    def dsn(self) -> str:
        """The database to use: DATABASE_URL when given, else the embedded cluster."""
        return self.database_url or self.embedded_url()

    @property
    def embedded(self) -> bool:
        """True when no external DATABASE_URL is configured."""
        return not self.database_url


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
