"""Settings of the benchmark: the app's own settings, production-like (DEBUG
off), plus a URLconf that adds the floor view. The database is a fresh one:
`<name>_run` of DATABASE_URL, or a SQLite file in /tmp by default."""

import os

os.environ["DEBUG"] = "0"  # the real environment wins over .env; DEBUG would skew timings
os.environ.setdefault("HATTA_TESTING", "1")  # test-friendly hosts and cookies; no SECRET_KEY
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/hatta_bench_main.sqlite3")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # weasyprint logs every PDF step at INFO

from hatta.settings import *  # noqa: E402,F403
from hatta.settings import BASE_DIR, DATABASES, TEMPLATES  # noqa: E402

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]

_db = DATABASES["default"]
if _db["ENGINE"].endswith("sqlite3"):
    # A file, not memory: closer to the shipped default.
    _db["TEST"] = {"NAME": "/tmp/hatta_bench.sqlite3"}  # noqa: S108 - a throwaway database
    TEST_DB_NAME = _db["TEST"]["NAME"]
else:
    # Not test_<name>: the test suite may be using that one at the same time.
    TEST_DB_NAME = _db["NAME"] + "_run"
    _db["TEST"] = {"NAME": TEST_DB_NAME}
if os.environ.get("BENCH_CHILD"):
    # A subprocess of bench/run.py works in the database its parent created.
    _db["NAME"] = TEST_DB_NAME
