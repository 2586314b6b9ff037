"""Settings for the benchmark server: the project's own settings, plus a bench-only URLconf.

Run with DJANGO_ENV=production (bench/run.py sets the variables it needs), so gunicorn
serves exactly what production serves; only ROOT_URLCONF (adding the empty baseline
view) and STATIC_ROOT (kept inside bench/out) differ.
"""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = BASE_DIR / "bench" / "out" / "static"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# The project's production storage (CompressedManifestStaticFilesStorage) cannot run
# collectstatic today: bootstrap.rtl.min.css names a source map that is not vendored.
# The bench serves the same files compressed, without hashed names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
