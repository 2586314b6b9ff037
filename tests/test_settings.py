"""Production refuses unsafe configurations, and `check --deploy` is clean under it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_SECRET = "x" * 20 + "-production-secret-key-for-tests-only-0123456789"


def run_django(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "khaosat.example.vn",
    # Port 1: nothing listens, so a connection attempt fails at once.
    "DATABASE_URL": "postgres://survey@127.0.0.1:1/survey",
}


@pytest.mark.parametrize(
    ("missing_or_bad", "message"),
    [
        (
            {"DATABASE_URL": ""},
            "the embedded PostgreSQL (pgserver) is for development and tests only",
        ),
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is required"),
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
    ],
)
def test_production_refuses_to_start(missing_or_bad, message):
    result = run_django({**PRODUCTION, **missing_or_bad}, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_unknown_environment_name_is_refused():
    result = run_django({"DJANGO_ENV": "prod"}, "check")
    assert result.returncode != 0
    assert "DJANGO_ENV must be development, test or production" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = run_django(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_cache_is_shared_redis_when_configured_and_database_in_production():
    probe = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    redis = run_django(
        {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/3"}, "shell", "-c", probe
    )
    assert redis.stdout.strip().splitlines()[-1] == "django.core.cache.backends.redis.RedisCache"
    database = run_django(PRODUCTION, "shell", "-c", probe)
    assert database.stdout.strip().splitlines()[-1] == "django.core.cache.backends.db.DatabaseCache"


def test_redis_cache_round_trip_against_the_local_server():
    """The machine's Redis (127.0.0.1:6379) answers; rate limits survive across processes."""
    code = (
        "from django.core.cache import cache; cache.set('onestop-probe', 41, 30);"
        "print(cache.incr('onestop-probe'))"
    )
    env = {"REDIS_URL": "redis://127.0.0.1:6379/3"}
    first = run_django(env, "shell", "-c", code)
    if "Connection refused" in first.stderr or "Error 111" in first.stderr:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    assert first.stdout.strip().splitlines()[-1] == "42", first.stderr


def test_production_sends_hsts_secure_cookies_and_redirects_to_https():
    """The headers a browser gets from the production settings. /healthz renders no
    template (so no collected static files are needed) and its database is unreachable
    here: the security headers must be there on an error response too."""
    probe = (
        "import json; from django.test import Client; c = Client();"
        "plain = c.get('/'); secure = c.get('/healthz', secure=True);"
        "print(json.dumps({'redirect': plain.status_code, 'location': plain.get('Location'),"
        " 'hsts': secure.get('Strict-Transport-Security'),"
        " 'csp': secure.get('Content-Security-Policy'),"
        " 'frame': secure.get('X-Frame-Options'), 'referrer': secure.get('Referrer-Policy'),"
        " 'csrf_cookie_secure': __import__('django.conf').conf.settings.CSRF_COOKIE_SECURE,"
        " 'session_cookie_secure': __import__('django.conf').conf.settings.SESSION_COOKIE_SECURE}))"
    )
    env = {**PRODUCTION, "ALLOWED_HOSTS": "testserver"}
    result = run_django(env, "shell", "-c", probe)
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert headers["redirect"] == 301 and headers["location"].startswith("https://")
    assert headers["hsts"] == "max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in headers["csp"] and "unsafe-inline" not in headers["csp"]
    assert headers["frame"] == "DENY"
    assert headers["referrer"] == "same-origin"
    assert headers["csrf_cookie_secure"] and headers["session_cookie_secure"]
