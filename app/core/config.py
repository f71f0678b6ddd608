"""Settings: one ``Settings`` object read from the environment and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with; each field is also an environment variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./digital_twin.db"
    data_dir: Path = Path("./data")
    app_name: str = "Digital Twin Platform"
    sql_echo: bool = False
    # Security (see ARCHITECTURE.md, "Security model").
    secret_key: str | None = Field(
        None, repr=False, description="encrypts stored PLC passwords; default: a key file DATA_DIR/secret.key (0600)"
    )
    session_hours: float = Field(12.0, gt=0, description="a sign-in session lasts this long")
    # Simulation runs tick in threads of this process (see ARCHITECTURE.md, "Simulation runs").
    run_switch_interval: float = Field(0.001, ge=0, description="GIL switch interval while runs tick; 0 = keep")
    run_yield_interval: float = Field(0.002, ge=0, description="a fast run gives up the GIL this often; 0 = never")
    run_yield_pause: float = Field(0.0001, ge=0, description="seconds a run sleeps each time it gives up the GIL")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests override this dependency or clear the cache)."""
    return Settings()
