"""Settings: one ``Settings`` object read from the environment and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class Settings(BaseSettings):
    """Everything the service can be configured with; each field is also an environment variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./digital_twin.db"
    data_dir: Path = Path("./data")
    app_name: str = "Digital Twin Platform"
    sql_echo: bool = False
    # The connection pool (app/db/session.py). A request holds its connection across the threadpool hops of its
    # dependencies and route; with a bounded pool smaller than a burst of requests, every thread can end up
    # waiting for a connection held by a request that waits for a thread, a stall until the pool gives up (30 s).
    db_pool_size: int = Field(5, ge=1, description="database connections each server process keeps open")
    db_max_overflow: int = Field(
        -1, ge=-1, description="connections a process may open beyond DB_POOL_SIZE under load; -1 = no limit (the "
        "database's own limit applies). A limit below the burst the server must take can stall every request"
    )
    # Security (see ARCHITECTURE.md, "Security model").
    secret_key: str | None = Field(
        None, repr=False, description="encrypts stored PLC passwords; default: a key file DATA_DIR/secret.key (0600)"
    )
    session_hours: float = Field(12.0, gt=0, description="a sign-in session lasts this long")
    # Simulation runs tick in threads of this process (see ARCHITECTURE.md, "Simulation runs").
    run_switch_interval: float = Field(0.001, ge=0, description="GIL switch interval while runs tick; 0 = keep")
    run_yield_interval: float = Field(0.002, ge=0, description="a fast run gives up the GIL this often; 0 = never")
    run_yield_pause: float = Field(0.0001, ge=0, description="seconds a run sleeps each time it gives up the GIL")
    # Hardening (README "Hardening"): limits on what one request or one run may cost.
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1, description="largest request body; larger is a 413")
    max_run_ticks: int = Field(100_000_000, ge=1, description="most ticks one simulation or scenario run may take")
    max_recorded_values: int = Field(
        20_000_000, ge=1, description="most values (samples x ports) one run may record"
    )
    # Campaigns (README "Campaigns"): many runs of one scenario, on local processes or a Dask cluster.
    max_campaign_runs: int = Field(100_000, ge=1, description="most runs (grid points x seeds) one campaign may have")
    campaign_workers: int = Field(0, ge=0, description="local processes a campaign runs on; 0 = one per CPU")
    campaign_scheduler: str | None = Field(
        None, description="run campaigns on this Dask scheduler (tcp://host:port) instead of local processes"
    )
    # Requests that wait on a PLC (endpoint test and browse, starting a HIL run or the twin's OPC UA server) give
    # their database connection back before they wait, and beyond these limits are refused at once (429).
    plc_waits_per_user: int = Field(
        4, ge=1, description="requests one user (all their sessions and tokens) may have waiting on a PLC at once"
    )
    plc_waits_total: int = Field(
        16, ge=1, description="requests this server process may have waiting on a PLC at once; keep it well below "
        "the 40 threads that serve synchronous routes, so other requests always find a thread"
    )
    plc_probe_timeout: float = Field(
        5.0, gt=0, le=300, description="seconds an endpoint test or browse waits for the PLC to answer"
    )
    # OPC UA certificates (README "OPC UA certificates (PKI)"): DATA_DIR/pki, shared with the CLI.
    opcua_trust_on_first_use: bool = Field(
        False, description="trust (and store in DATA_DIR/pki/trusted/certs) a PLC server certificate never seen "
        "before, instead of refusing it into DATA_DIR/pki/rejected/certs until someone moves it to trusted"
    )
    # Browser-facing checks: the Host header must name this server (no DNS rebinding); cross-site
    # state-changing requests and WebSocket upgrades are refused; CORS stays off unless origins are listed.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS),
        description="host names the server answers to (comma-separated in the environment; * = any)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins (scheme://host[:port]) allowed cross-site; empty = CORS off"
    )

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests override this dependency or clear the cache)."""
    return Settings()
