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
    secret_key: str | None = None  # signs session cookies; generated once into var/secret_key when unset
    secure_cookies: bool = False  # session cookie only over HTTPS (set behind a TLS proxy)
    # Reverse proxies in front whose X-Forwarded-For/-Proto/-Host/-Port/-Prefix are trusted (werkzeug ProxyFix);
    # 0: those headers are ignored (a client could forge them).
    proxy_fix: int = Field(0, ge=0, le=10)
    log_level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR

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
