"""Benchmark of the background jobs against a fresh database: the request that
starts a job, the handbook job (wall time, CPU time and peak memory of the child
process that renders it), the xlsx export's body, and the refusal of a
worst-case import. Prints PASS/FAIL against the targets and writes
bench/results-jobs.json.

    python -m bench.jobs                       # L and XL
    python -m bench.jobs --sizes L             # quick
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"  # never the app's own database

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.generate import analyze, generate_size  # noqa: E402
from roles import jobs  # noqa: E402
from roles.interchange import exporter  # noqa: E402
from roles.interchange.reader import SheetError, read_sheet  # noqa: E402
from roles.models import Job, Person  # noqa: E402

RESULTS = Path(__file__).with_name("results-jobs.json")
TARGETS = {
    "start_ms": 200,  # the request that starts a job, at XL
    "handbook_s": 30,  # handbook at L, in the worker
    "handbook_mb": 400,  # peak resident memory of the rendering process
    "xlsx_s": 3,  # xlsx export at XL
    "import_refused_s": 2,  # a hostile 5 MB import refused
}


def children_usage():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def timed_post(client, url, data, n=5):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.post(url, data)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, (url, response.status_code)
    return statistics.median(times)


def measure_start(slug):
    """Median ms of the POST that starts a handbook, and one that starts an xlsx
    export (the first creates the job, the others join or reuse it)."""
    admin = Person.objects.get(org__slug=slug, access="admin", email__startswith="admin@")
    client = Client()
    client.force_login(admin.user)
    handbook = timed_post(client, reverse("roles:handbook-pdf", kwargs={"org": slug}), {})
    xlsx = timed_post(client, reverse("roles:matrix-xlsx", kwargs={"org": slug}), {})
    Job.objects.filter(org__slug=slug).delete()
    return round(handbook, 1), round(xlsx, 1)


def measure_handbook(slug):
    """The handbook job as the worker runs it: in a child process with its limits."""
    admin = Person.objects.get(org__slug=slug, access="admin", email__startswith="admin@")
    from roles.access import Access  # noqa: PLC0415

    job, _ = jobs.start(Access(admin), Job.HANDBOOK, params={"lang": "sv"}, fingerprint="bench")
    cpu_before, _ = children_usage()
    started = time.perf_counter()
    jobs.supervise(job.pk)
    wall = time.perf_counter() - started
    cpu_after, peak_mb = children_usage()
    job.refresh_from_db()
    return {
        "state": job.state,
        "error": job.error,
        "hats": job.total,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu_after - cpu_before, 1),
        "peak_mb": round(peak_mb),
        "bytes": job.result.size if job.result else 0,
    }


def measure_xlsx(slug):
    from roles.models import Organisation  # noqa: PLC0415

    org = Organisation.objects.get(slug=slug)
    started = time.perf_counter()
    cpu = time.process_time()
    content = exporter.to_xlsx(exporter.build(org, exporter.parse_filters(org, {})))
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "bytes": len(content),
    }


def measure_import_refusal():
    """A 5 MB xlsx whose shared strings hold 200,001 entries: refused unparsed."""
    rng = random.Random(1)
    entries = b"".join(
        b"<si><t>%s</t></si>" % rng.randbytes(6).hex().encode() for _ in range(200_001)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + entries + b"</sst>")
    started = time.perf_counter()
    try:
        read_sheet(out.getvalue(), "bomb.xlsx")
        refused = False
    except SheetError:
        refused = True
    return {"refused": refused, "seconds": round(time.perf_counter() - started, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["L", "XL"])
    parser.add_argument("--handbook-sizes", nargs="*", default=["L", "XL"])
    args = parser.parse_args()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    # The job's child process works in this database too.
    os.environ["BENCH_CHILD"] = "1"
    settings.JOBS_IN_CHILD = True
    results = {"load_before": os.getloadavg(), "sizes": {}, "cores": os.cpu_count()}
    verdicts = []
    for size in args.sizes:
        slug = f"jobs-{size.lower()}"
        generate_size(slug, size)
        analyze()
        row = {"start_ms": measure_start(slug)}
        if size in args.handbook_sizes:
            row["handbook"] = measure_handbook(slug)
        row["xlsx"] = measure_xlsx(slug)
        row["load"] = os.getloadavg()[0]
        results["sizes"][size] = row
        print(size, json.dumps(row))
        if size == "XL":
            verdicts.append(("start_ms", max(row["start_ms"]) <= TARGETS["start_ms"]))
            verdicts.append(("xlsx_s", row["xlsx"]["wall_s"] <= TARGETS["xlsx_s"]))
            if "handbook" in row:
                verdicts.append(("handbook XL done", row["handbook"]["state"] == Job.DONE))
        if size == "L" and "handbook" in row:
            verdicts.append(("handbook_s", row["handbook"]["wall_s"] <= TARGETS["handbook_s"]))
            verdicts.append(("handbook_mb", row["handbook"]["peak_mb"] <= TARGETS["handbook_mb"]))
    refusal = measure_import_refusal()
    results["import_refusal"] = refusal
    verdicts.append(
        (
            "import_refused_s",
            refusal["refused"] and refusal["seconds"] <= TARGETS["import_refused_s"],
        )
    )
    results["load_after"] = os.getloadavg()
    results["verdicts"] = dict(verdicts)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
