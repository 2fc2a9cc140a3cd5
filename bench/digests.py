"""Benchmark of the weekly digests: the scheduler's run for one organisation
on the digest day (the numbers still missing, the second reminders, and the
digest of every function head and admin), in a child process of its own so
its CPU time and peak resident memory are its own. Writes
bench/results-digests.json.

    python -m bench.digests                    # XL
    python -m bench.digests --sizes M          # quick
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"  # never the app's own database

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.generate import analyze, generate_size  # noqa: E402
from roles import reminders  # noqa: E402
from roles.models import Hat, Notification, Organisation, Person, ReminderRun  # noqa: E402
from roles.services import hats as hat_services  # noqa: E402

RESULTS = Path(__file__).with_name("results-digests.json")
THURSDAY = datetime.datetime(2026, 12, 3, 12, tzinfo=datetime.UTC)  # the digest day (ISO weeks)


def child(slug):
    """Run the digest day's reminders for `slug` and print what it did."""
    org = Organisation.objects.get(slug=slug)
    started = time.perf_counter()
    written = reminders.run_org(org, THURSDAY)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "written": written,
                "wall_s": round(wall, 2),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_mb": round(usage.ru_maxrss / 1024),
                "digests": ReminderRun.objects.filter(org=org, kind="digest").count(),
            }
        )
    )


def prepare(slug):
    """Publish a tenth of the hats again, so many wearers have something to confirm."""
    admin = Person.objects.filter(org__slug=slug, access="admin").first()
    for hat in Hat.objects.filter(org__slug=slug).order_by("id")[::10]:
        hat_services.publish_hat(hat, admin, "bench")
    Notification.objects.filter(org__slug=slug).delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["XL"])
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    os.environ["BENCH_CHILD"] = "1"  # the child works in this database
    results = {"database": connection.vendor, "load_before": os.getloadavg(), "sizes": {}}
    for size in args.sizes:
        slug = f"digests-{size.lower()}"
        generate_size(slug, size)
        prepare(slug)
        analyze()
        people = Person.objects.filter(org__slug=slug).count()
        connection.close()
        out = subprocess.run(
            [sys.executable, "-m", "bench.digests", "--child", slug],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1]) | {"people": people}
        row["load"] = os.getloadavg()[0]
        results["sizes"][size] = row
        print(size, json.dumps(row))
    results["measured"] = timezone.now().isoformat()
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
