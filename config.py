"""Deployment settings, read from the environment.

Settings people change while the system runs (reminder lead days, suppression
threshold…) live in the database instead; these are the ones an operator sets
when deploying. Every variable is listed in the README.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _dev_secret_key(instance_dir: Path, name: str = "secret_key") -> str:
    """Generate once and keep a development secret (``name``) under instance/."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / name
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


class Config:
    """Settings shared by every environment; subclasses adjust a few."""

    ENV_NAME = "development"
    TESTING = False
    INSTANCE_DIR = Path(_env("QMS_INSTANCE_DIR", str(BASE_DIR / "instance")))

    # Database: SQLite under instance/ unless QMS_DATABASE_URL says otherwise.
    SQLALCHEMY_DATABASE_URI = _env(
        "QMS_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'qms.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Files attached to quality records (content-addressed, outside the web root).
    STORAGE_DIR = Path(_env("QMS_STORAGE_DIR", str(INSTANCE_DIR / "files")))
    BACKUP_DIR = Path(_env("QMS_BACKUP_DIR", str(INSTANCE_DIR / "backups")))
    MAX_CONTENT_LENGTH = _env_int("QMS_MAX_UPLOAD_MB", 20) * 1024 * 1024
    #: Survey exports are larger than attachments (200,000 Kobo rows ≈ 100 MB).
    SURVEY_IMPORT_MAX_BYTES = _env_int("QMS_SURVEY_IMPORT_MAX_MB", 500) * 1024 * 1024

    #: Parser bounds for uploaded files (qms.core.parsers).
    YAML_MAX_BYTES = _env_int("QMS_YAML_MAX_KB", 1024) * 1024
    XLSX_MAX_ROWS = _env_int("QMS_XLSX_MAX_ROWS", 1_000_000)
    XLSX_MAX_COLUMNS = _env_int("QMS_XLSX_MAX_COLUMNS", 2_000)
    #: An XLSX may inflate to this many times its size (but always to XLSX_MIN_INFLATED).
    XLSX_MAX_RATIO = _env_int("QMS_XLSX_MAX_RATIO", 100)
    XLSX_MIN_INFLATED = _env_int("QMS_XLSX_MIN_INFLATED_MB", 50) * 1_000_000
    #: openpyxl holds the shared-strings table in memory whole.
    XLSX_MAX_SHARED_STRINGS = _env_int("QMS_XLSX_MAX_SHARED_STRINGS_MB", 100) * 1_000_000

    # Identity of the programme: settings, not literals (programmes get renamed).
    PROGRAMME_NAME = _env("QMS_PROGRAMME_NAME", "Bono Vida Mejor")
    AGENCY_NAME = _env("QMS_AGENCY_NAME", "Secretaría de Desarrollo e Inclusión Social (SEDIS)")
    BASE_URL = _env("QMS_BASE_URL", "http://127.0.0.1:5000")

    # Language and time.
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = _env("QMS_TIMEZONE", "America/Tegucigalpa")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("es", "en")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("QMS_SECURE_COOKIES", False)
    SESSION_COOKIE_NAME = "qms_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("QMS_SESSION_HOURS", 8))
    WTF_CSRF_TIME_LIMIT = None  # tied to the session lifetime instead

    #: API tokens stop working this many days after they are issued.
    API_TOKEN_DAYS = _env_int("QMS_API_TOKEN_DAYS", 90)
    #: A token's "last used" is recorded at most once per this many seconds.
    TOKEN_TOUCH_SECONDS = _env_int("QMS_TOKEN_TOUCH_SECONDS", 300)

    #: An identical form submission within this many seconds is refused (saved once).
    FORM_REPEAT_SECONDS = _env_int("QMS_FORM_REPEAT_SECONDS", 30)

    #: Register exports with more rows than this are built in the background (progress
    #: page, download when ready) instead of in the request: an XLSX of 10,000 NCs takes
    #: about 2.5 s here, a CSV of 100,000 about 1.5 s; a worker times out at 30 s.
    EXPORT_BACKGROUND_ROWS_XLSX = _env_int("QMS_EXPORT_BACKGROUND_ROWS_XLSX", 10_000)
    EXPORT_BACKGROUND_ROWS_CSV = _env_int("QMS_EXPORT_BACKGROUND_ROWS_CSV", 100_000)

    #: Password hashing (argon2id): OWASP's recommended minimum (19 MiB, 2 passes, 1 lane;
    #: Password Storage Cheat Sheet). About 25 ms of one core per login here, where
    #: argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) took 0.18–0.23 s of CPU,
    #: so a surge of logins (a shift starting, 2 a second) no longer saturates a small
    #: server. Hashes made with other parameters are re-made at their next login.
    ARGON2_PARAMS = {
        "time_cost": _env_int("QMS_ARGON2_TIME_COST", 2),
        "memory_cost": _env_int("QMS_ARGON2_MEMORY_KIB", 19_456),
        "parallelism": _env_int("QMS_ARGON2_PARALLELISM", 1),
    }

    # Login rate limiting (Flask-Limiter). Use a shared store (redis://…) with several workers.
    RATELIMIT_STORAGE_URI = _env("QMS_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = _env("QMS_LOGIN_RATE_LIMIT", "5 per minute;30 per hour")
    #: Complaints filed per address on the public portal.
    COMPLAINT_RATE_LIMIT = _env("QMS_COMPLAINT_RATE_LIMIT", "5 per hour;20 per day")
    #: Tracking-code lookups per address (a code cannot be guessed; this stops scanning).
    COMPLAINT_LOOKUP_RATE_LIMIT = _env("QMS_COMPLAINT_LOOKUP_RATE_LIMIT", "30 per minute")
    #: Largest complaint post (the optional photo included).
    COMPLAINT_MAX_BYTES = _env_int("QMS_COMPLAINT_PHOTO_MB", 5) * 1024 * 1024
    #: Failed logins per username, from any address: slows a guesser down, never locks
    #: the owner out (their own address has its own, per-address budget).
    LOGIN_USERNAME_RATE_LIMIT = _env("QMS_LOGIN_USERNAME_RATE_LIMIT", "20 per hour;100 per day")
    #: Wrong passwords per signer on electronic signatures (documents, NCs, audits…).
    SIGNATURE_RATE_LIMIT = _env("QMS_SIGNATURE_RATE_LIMIT", "5 per 15 minutes;20 per day")

    # Mail.
    MAIL_SERVER = _env("QMS_SMTP_HOST", "127.0.0.1")
    MAIL_PORT = _env_int("QMS_SMTP_PORT", 25)
    MAIL_USERNAME = _env("QMS_SMTP_USER")
    MAIL_PASSWORD = _env("QMS_SMTP_PASSWORD")
    MAIL_USE_TLS = _env_bool("QMS_SMTP_STARTTLS", False)
    MAIL_SENDER = _env("QMS_MAIL_FROM", "sgc@bonovidamejor.hn")
    #: "smtp", or "file": each mail written as an .eml file under MAIL_FILE_DIR. Development
    #: uses "file" (instance/mail/) unless QMS_SMTP_HOST is set.
    MAIL_BACKEND = _env("QMS_MAIL_BACKEND", "smtp")
    MAIL_FILE_DIR = Path(_env("QMS_MAIL_DIR", str(INSTANCE_DIR / "mail")))

    # API (flask-smorest).
    API_TITLE = "SGC Bono Vida Mejor API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    def __init__(self) -> None:
        self.SECRET_KEY = _env("QMS_SECRET_KEY") or self._missing_secret_key()
        #: Key of the HMAC that turns a beneficiary ID into a pseudonymous key (surveys).
        #: Changing it breaks the link between old and new responses of a household.
        self.QMS_PSEUDONYM_KEY = _env("QMS_PSEUDONYM_KEY") or self._missing_pseudonym_key()

    def _missing_secret_key(self) -> str:
        return _dev_secret_key(self.INSTANCE_DIR)

    def _missing_pseudonym_key(self) -> str:
        return _dev_secret_key(self.INSTANCE_DIR, "pseudonym_key")


class DevelopmentConfig(Config):
    MAIL_BACKEND = _env("QMS_MAIL_BACKEND", "smtp" if _env("QMS_SMTP_HOST") else "file")


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("QMS_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    def _missing_secret_key(self) -> str:
        raise ConfigError("QMS_SECRET_KEY must be set in production (QMS_ENV=production).")

    def _missing_pseudonym_key(self) -> str:
        raise ConfigError("QMS_PSEUDONYM_KEY must be set in production (QMS_ENV=production).")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    RATELIMIT_STORAGE_URI = "memory://"
    #: Cheap hashing keeps the suite fast; production uses the parameters above.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}

    def __init__(self) -> None:
        self.SECRET_KEY = TestingConfig.SECRET_KEY
        self.QMS_PSEUDONYM_KEY = "test-pseudonym-key-not-for-production"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def load_config(name: str | None = None) -> Config:
    """Instantiate the configuration named by ``name`` or ``QMS_ENV``."""
    name = name or _env("QMS_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"QMS_ENV={name!r} is not one of {', '.join(CONFIGS)}") from None
