"""Server settings: command-line arguments first, then SYNTHERA_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from synthera.errors import ParameterError

DEFAULT_DATA_DIR = Path("~/.synthera")
MB = 1 << 20


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParameterError(f"{name} must be a whole number, not {raw!r}") from None


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in os.environ.get(name, "").split(",") if p.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the app, the job backend and the workers need to agree on."""

    data_dir: Path
    database_url: str
    max_upload_bytes: int = 200 * MB
    max_rows: int = 2_000_000
    max_columns: int = 1_000
    max_workers: int = 1  # worker processes running at once
    token_days: int = 30  # lifetime of API tokens and browser sessions
    signin_attempts: int = 10  # failed sign-ins allowed per user and address ...
    signin_window_s: int = 300  # ... within this many seconds
    # Modules imported by the server and every worker, e.g. to register more synthesizers.
    plugins: tuple[str, ...] = ()
    # "module:function" called as evaluate(real, synthetic, holdout=, schema=, target=,
    # sensitive=) and returning a report with to_dict() and to_html(path).
    evaluator: str = "synthera:evaluate"
    secure_cookies: bool = False  # set the Secure flag (behind HTTPS)
    heartbeat_timeout_s: int = 60  # a running job not heard from for this long has failed

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @classmethod
    def from_env(
        cls, data_dir: str | Path | None = None, database_url: str | None = None
    ) -> Settings:
        """Settings for `synthera serve` and `synthera users`; arguments beat the environment."""
        folder = Path(
            data_dir or os.environ.get("SYNTHERA_DATA_DIR") or DEFAULT_DATA_DIR
        ).expanduser()
        url = database_url or os.environ.get("SYNTHERA_DATABASE_URL") or ""
        if not url:
            url = f"sqlite:///{(folder / 'synthera.db').resolve()}"
        return cls(
            data_dir=folder.resolve(),
            database_url=url,
            max_upload_bytes=_env_int("SYNTHERA_MAX_UPLOAD_MB", 200) * MB,
            max_rows=_env_int("SYNTHERA_MAX_ROWS", 2_000_000),
            max_columns=_env_int("SYNTHERA_MAX_COLUMNS", 1_000),
            max_workers=max(1, _env_int("SYNTHERA_MAX_WORKERS", 1)),
            token_days=_env_int("SYNTHERA_TOKEN_DAYS", 30),
            plugins=_env_list("SYNTHERA_PLUGINS"),
            evaluator=os.environ.get("SYNTHERA_EVALUATOR") or "synthera:evaluate",
            secure_cookies=os.environ.get("SYNTHERA_SECURE_COOKIES", "") in ("1", "true"),
        )

    def worker_environment(self) -> dict[str, str]:
        """The variables a worker process needs to rebuild these settings."""
        return {
            "SYNTHERA_DATA_DIR": str(self.data_dir),
            "SYNTHERA_DATABASE_URL": self.database_url,
            "SYNTHERA_PLUGINS": ",".join(self.plugins),
            "SYNTHERA_EVALUATOR": self.evaluator,
        }


def load_plugins(settings: Settings) -> None:
    """Import the plugin modules (they register synthesizers as a side effect)."""
    import importlib

    for module in settings.plugins:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ParameterError(f"plugin module {module!r} cannot be imported: {exc}") from None
