"""Reading the environment into settings, with errors that name the variable.

django-environ does the URL parsing; this module adds the strictness it lacks (a typo in
DEBUG must not silently mean False) and the contract's own short forms (`console:`, `locmem:`,
an embedded broker when CELERY_BROKER_URL is unset).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off"
    )


def parse_int(name: str, value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def parse_list(value: str | None, default: list[str]) -> list[str]:
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_database_url(value: str | None, default_path: Path) -> dict:
    """DATABASE_URL to a DATABASES entry; SQLite gets the settings that make it safe for a
    web server and a worker writing at once (immediate transactions, a busy timeout, WAL)."""
    url = value or f"sqlite:///{default_path}"
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r}: unsupported scheme {scheme!r}; "
            "use sqlite:///path or postgres://user:pass@host:port/name"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as error:  # environ raises several types for malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} cannot be parsed: {error}") from None
    if config["ENGINE"].endswith("sqlite3"):
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file")
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # A file, not pytest's in-memory default, so a real worker process can see test data;
        # one per test process, so two test runs on one machine never share it.
        test_name = Path(config["NAME"]).with_name(
            f"test-{os.getpid()}-{Path(config['NAME']).name}"
        )
        config["TEST"] = {"NAME": str(test_name)}
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database")
        config.setdefault("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
        # A database that does not answer fails a connection (and /healthz/) in seconds
        # instead of holding a request thread for the operating system's TCP timeout.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config


def parse_broker_url(value: str | None, data_dir: Path) -> tuple[str, dict]:
    """The Celery broker URL and its transport options.

    Unset means kombu's filesystem transport in the data folder: a real broker that a
    separate worker process consumes from, with no server to install.
    """
    if not value:
        queue_dir = data_dir / "broker"
        for sub in ("queue", "processed", "control"):
            (queue_dir / sub).mkdir(parents=True, exist_ok=True)
        return "filesystem://", {
            "data_folder_in": str(queue_dir / "queue"),
            "data_folder_out": str(queue_dir / "queue"),
            "processed_folder": str(queue_dir / "processed"),
            "store_processed": False,
            # Fanout bindings (remote control, broadcast) default to ./control in the cwd.
            "control_folder": str(queue_dir / "control"),
        }
    scheme = urlsplit(value).scheme
    if scheme not in {"redis", "rediss", "filesystem", "memory", "amqp", "sqla+sqlite"}:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_URL={value!r}: unsupported scheme {scheme!r}; use redis://host:port/db"
        )
    # Redis redelivers an unacknowledged task after the visibility timeout: keep it well above
    # the hard time limit of the longest task, or a slow render would run twice.
    options: dict = {"visibility_timeout": 3600}
    if scheme in {"redis", "rediss"}:
        # A Redis that hangs (stopped, or behind a network dropping packets) fails a send in
        # seconds instead of holding the request for ever, and a Redis that is down fails a
        # process's first connection after one retry instead of four seconds of them; the
        # outbox relays the message later. (Workers reconnect by their own retry settings.)
        options.update(socket_connect_timeout=2, socket_timeout=3, max_retries=1, interval_start=0)
    return value, options


def parse_email_url(value: str | None) -> dict:
    url = value or "console:"
    scheme = urlsplit(url).scheme
    if scheme in EMAIL_BACKENDS:
        return {"EMAIL_BACKEND": EMAIL_BACKENDS[scheme]}
    if scheme == "file":
        # One file per message in that folder: for tests and demos that read what was sent
        # from another process (a worker's mail is invisible to locmem in the test process).
        folder = urlsplit(url).path
        if not folder.startswith("/") or urlsplit(url).netloc:
            raise ImproperlyConfigured(
                f"EMAIL_URL={url!r}: name an absolute folder, as file:///var/mail/portal"
            )
        Path(folder).mkdir(parents=True, exist_ok=True)
        return {
            "EMAIL_BACKEND": "core.mail_files.EmailBackend",
            "EMAIL_FILE_PATH": folder,
        }
    if scheme not in {"smtp", "smtps", "smtp+tls", "smtp+ssl"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL={url!r}: unsupported scheme {scheme!r}; "
            "use smtp://..., console:, locmem: or file:///folder"
        )
    config = environ.Env.email_url_config(url)
    return {key: val for key, val in config.items() if val not in (None, "")}


def parse_choice(name: str, value: str | None, choices: tuple[str, ...], default: str) -> str:
    if value is None or value.strip() == "":
        return default
    if value.strip() not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(choices)}")
    return value.strip()


def parse_role_map(name: str, value: str | None, roles: tuple[str, ...]) -> dict[str, list[str]]:
    """A JSON object from the role claim's values to a role or a list of roles:
    `{"travel-security": "Security manager", "staff": "Employee"}`. JSON because group names
    and LDAP-style paths may hold any separator a shorter format would use."""
    if value is None or value.strip() == "":
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f'{name} must be a JSON object: {{"claim value": "Role"}}')
    role_map: dict[str, list[str]] = {}
    for claim_value, mapped in parsed.items():
        names = [mapped] if isinstance(mapped, str) else mapped
        if not isinstance(names, list) or not names:
            raise ImproperlyConfigured(f"{name}[{claim_value!r}] must be a role or a list of roles")
        unknown = [role for role in names if role not in roles]
        if unknown:
            raise ImproperlyConfigured(
                f"{name}[{claim_value!r}]: unknown role {unknown[0]!r}; the roles are "
                + ", ".join(roles)
            )
        role_map[str(claim_value)] = names
    return role_map


def parse_cache_url(value: str | None) -> dict:
    """CACHE_URL to a CACHES entry: unset is a cache in each process's memory; `redis://...`
    one Redis that every web process shares (so their rate limits count together)."""
    if not value:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    scheme = urlsplit(value).scheme
    if scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(
            f"CACHE_URL={value!r}: unsupported scheme {scheme!r}; use redis://host:port/db"
        )
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": value}


RATE_PERIODS = {"second", "minute", "hour", "day"}


def parse_rate(name: str, value: str | None, default: str) -> str:
    """A rate limit as `N/period` (`240/minute`): checked here so that a typo stops the portal
    at start-up rather than failing every API request."""
    rate = (value or "").strip() or default
    count, _, period = rate.partition("/")
    if not count.isdigit() or period not in RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={rate!r} is not a rate: write it as 240/minute (second, minute, hour, day)"
        )
    return rate
