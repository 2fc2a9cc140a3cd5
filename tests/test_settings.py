"""Configuration from the environment, as production runs it, and the health check."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from roles import jobs
from roles.models import WorkerBeat

ROOT = Path(__file__).resolve().parent.parent
PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-for-the-deploy-check-" + "x9Q!" * 12,
    "ALLOWED_HOSTS": "hatta.example.com",
}


# What a production process inherits from its shell; nothing else of the test
# process (pytest's markers, DJANGO_ALLOW_ASYNC_UNSAFE from browser tests, ...).
INHERITED = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "DATABASE_URL"}


def production_env(**overrides):
    """The environment of a production process: DEBUG off, a real SECRET_KEY,
    ALLOWED_HOSTS, and no test markers. `NAME=None` leaves NAME out."""
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env.update(PROD)
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


SETTING_NAMES = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REDIRECT_EXEMPT",
    "ALLOWED_HOSTS",
    "PASSWORD_HASHERS",
    "TIME_ZONE",
    "CSRF_TRUSTED_ORIGINS",
    "AXES_ENABLED",
]


def production_settings(**env):
    """Selected settings as a production process computes them."""
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        f"keys = {SETTING_NAMES!r}; "
        "db = s.DATABASES['default']; "
        "extra = {'DB': db['ENGINE'], 'CONN_MAX_AGE': db['CONN_MAX_AGE'], "
        "'MAIL': s.MAILERS['default'], 'STATIC': s.STORAGES['staticfiles']['BACKEND']}; "
        "print(json.dumps({k: getattr(s, k, None) for k in keys} | extra, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(DJANGO_SETTINGS_MODULE="hatta.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output.upper().replace("--FAIL-LEVEL WARNING", "")


def test_secret_key_is_required_when_debug_is_off():
    result = manage("check", SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_secure():
    s = production_settings()
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]  # load balancers probe over plain HTTP
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["ALLOWED_HOSTS"] == ["hatta.example.com"]
    # Django's default hasher (PBKDF2) in production; only tests use a fast one.
    assert s["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert s["TIME_ZONE"] == "Europe/Stockholm"
    assert s["AXES_ENABLED"] is True
    # Production mails through SMTP: the local mail server unless EMAIL_HOST says otherwise.
    assert s["MAIL"]["BACKEND"].endswith("smtp.EmailBackend")
    assert s["MAIL"]["OPTIONS"]["host"] == "localhost"
    assert s["STATIC"].startswith("whitenoise.")


def test_environment_drives_the_settings():
    s = production_settings(
        DATABASE_URL="postgres://u:p@db.example:5432/hatta",
        CONN_MAX_AGE="120",
        CSRF_TRUSTED_ORIGINS="https://hatta.example.com",
        EMAIL_HOST="smtp.example.com",
        SECURE_SSL_REDIRECT="0",
        BEHIND_PROXY="0",
        TIME_ZONE="UTC",
    )
    assert s["DB"] == "django.db.backends.postgresql"
    assert s["CONN_MAX_AGE"] == 120
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://hatta.example.com"]
    assert s["MAIL"]["OPTIONS"]["host"] == "smtp.example.com"
    assert s["MAIL"]["OPTIONS"]["port"] == 587 and s["MAIL"]["OPTIONS"]["use_tls"]
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_PROXY_SSL_HEADER"] is None
    assert s["TIME_ZONE"] == "UTC"


def test_development_prints_mail_to_the_console():
    assert production_settings(DEBUG="1")["MAIL"]["BACKEND"].endswith("console.EmailBackend")


def test_tests_use_a_fast_hasher(settings):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_healthz_ok_with_a_recent_worker():
    jobs.beat("w1")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["worker"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert not WorkerBeat.objects.filter(worker_id__startswith="healthz").exists()  # rolled back


@pytest.mark.django_db
def test_healthz_503_when_no_worker_was_seen_lately(settings):
    assert Client().get("/healthz").json() == {
        "status": "unhealthy",
        "database": "ok",
        "worker": "failed",
        "worker_last_seen_seconds": None,
    }
    jobs.beat("w1")
    WorkerBeat.objects.update(seen=timezone.now() - timedelta(seconds=120))
    settings.WORKER_STALE_SECONDS = 60
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["worker"] == "failed"


@pytest.mark.django_db
def test_healthz_503_when_the_database_refuses_writes():
    jobs.beat("w1")
    with mock.patch(
        "roles.models.WorkerBeat.objects.create",
        side_effect=OperationalError("cannot execute INSERT in a read-only transaction"),
    ):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "failed"
    assert "read-only" not in response.text
