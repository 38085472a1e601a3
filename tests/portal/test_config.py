import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import config

ROOT = Path(__file__).resolve().parents[2]


def run_check(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("word", ["1", "true", "Yes", "on"])
def test_it_reads_true_words_as_true(word):
    assert config.parse_bool("DEBUG", word, default=False) is True


@pytest.mark.parametrize("word", ["0", "false", "No", "off"])
def test_it_reads_false_words_as_false(word):
    assert config.parse_bool("DEBUG", word, default=True) is False


def test_a_typo_in_a_boolean_is_an_error_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='ture' is not a boolean"):
        config.parse_bool("DEBUG", "ture", default=True)


def test_an_unsupported_database_scheme_is_an_error(tmp_path):
    with pytest.raises(
        ImproperlyConfigured, match="DATABASE_URL='mysql://x/y': unsupported scheme"
    ):
        config.parse_database_url("mysql://x/y", tmp_path / "db.sqlite3")


def test_the_default_database_is_a_sqlite_file_safe_for_concurrent_writers(tmp_path):
    db = config.parse_database_url(None, tmp_path / "data" / "portal.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "data" / "portal.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5


def test_a_postgres_url_becomes_a_postgres_database():
    db = config.parse_database_url("postgres://postgres@127.0.0.1:5432/test", Path("/unused"))
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["HOST"], db["PORT"], db["USER"]) == (
        "test",
        "127.0.0.1",
        5432,
        "postgres",
    )


def test_no_broker_url_means_an_embedded_filesystem_broker(tmp_path):
    url, options = config.parse_broker_url(None, tmp_path)
    assert url == "filesystem://"
    assert Path(options["data_folder_in"]).is_dir()
    assert options["data_folder_in"] == options["data_folder_out"]


def test_redis_broker_keeps_tasks_invisible_longer_than_the_longest_task(settings):
    url, options = config.parse_broker_url("redis://127.0.0.1:6379/0", Path("/unused"))
    assert url == "redis://127.0.0.1:6379/0"
    assert options["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT


def test_a_bad_broker_scheme_is_an_error():
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL='rabbit://x'"):
        config.parse_broker_url("rabbit://x", Path("/unused"))


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console:", "django.core.mail.backends.console.EmailBackend"),
        ("locmem:", "django.core.mail.backends.locmem.EmailBackend"),
        ("smtp://user:pw@mail.example.com:587", "django.core.mail.backends.smtp.EmailBackend"),
    ],
)
def test_email_urls_pick_the_backend(url, backend):
    assert config.parse_email_url(url)["EMAIL_BACKEND"] == backend


def test_an_smtp_url_carries_host_and_port():
    parsed = config.parse_email_url("smtp://user:pw@mail.example.com:587")
    assert (parsed["EMAIL_HOST"], parsed["EMAIL_PORT"], parsed["EMAIL_HOST_USER"]) == (
        "mail.example.com",
        587,
        "user",
    )


def test_a_file_email_url_writes_each_message_into_that_folder(tmp_path):
    folder = tmp_path / "outbox"
    parsed = config.parse_email_url(f"file://{folder}")
    assert parsed == {
        "EMAIL_BACKEND": "core.mail_files.EmailBackend",
        "EMAIL_FILE_PATH": str(folder),
    }
    assert folder.is_dir()


def test_a_file_email_url_needs_an_absolute_folder():
    with pytest.raises(ImproperlyConfigured, match="name an absolute folder"):
        config.parse_email_url("file://relative/mail")


def test_a_bad_email_scheme_is_an_error():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL='pigeon://coop'"):
        config.parse_email_url("pigeon://coop")


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check({"DEBUG": "0", "ALLOWED_HOSTS": "portal.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_pass_the_deploy_checklist():
    result = run_check(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x9!kq2-long-random-production-secret-key-for-tests-only-7Hs8d0Pq",
            "ALLOWED_HOSTS": "portal.example.com",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_bad_debug_value_stops_the_portal_with_a_clear_message():
    result = run_check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
