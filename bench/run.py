"""Benchmark: every main page at sizes S, M, L, XL, in-process with Django's
test client against a fresh database, each figure also as a multiple of the
floor (the base layout with no queries). Writes bench/results.json and prints
PASS/FAIL against the targets of the benchmark issue.

    python -m bench.run --sizes S M           # quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hatta_bench python -m bench.run
    (the run creates and uses hatta_bench_run)

Pages that do not exist yet (their URL name is missing) are skipped with a note.
"""

import argparse
import html
import io
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"  # never the app's own database

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from bench.forms import post_forms  # noqa: E402
from bench.generate import SIZES, analyze, generate_size  # noqa: E402
from bench.pages import FRESH, PAGES, STATUS, client_for, page_urls, people_of  # noqa: E402
from roles import jobs  # noqa: E402
from roles.models import Organisation, Responsibility  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
# The largest sheet the reader accepts: 5,000 task rows (the header does not count).
IMPORT_TASKS, IMPORT_HATS = 5_000, 50
# A page whose first answer takes longer than SLOW_S is timed SLOW_REQUESTS times,
# so that a full run with XL stays within minutes.
SLOW_S, SLOW_REQUESTS = 2.0, 5
# …and one over VERY_SLOW_S is timed once, by that first request.
VERY_SLOW_S = 20.0
FORM = "application/x-www-form-urlencoded"


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def timed(client, url, n, floor=None, status=200, before=None):
    """Warm up, count the queries of one request, then time n requests. With
    `floor` (client, url), each request is paired with one floor request, so a
    page and its floor see the same load on a shared machine. `before` runs
    before every request, outside the timing."""
    queries = []
    before = before or (lambda: None)

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    before()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        response = client.get(url)
        size = len(body(response))
    first = time.perf_counter() - started
    timed.download = response.has_header("Content-Disposition")
    if response.status_code != status:
        raise RuntimeError(f"{url} answered {response.status_code}")
    if first > VERY_SLOW_S:  # one request is all the time there is
        started = time.perf_counter()
        body(floor[0].get(floor[1])) if floor else None
        timed.cpu_ms = timed.floor_cpu_ms = None
        return len(queries), [first * 1000], size, [(time.perf_counter() - started) * 1000]
    if first > SLOW_S:
        n = min(n, SLOW_REQUESTS)
    queries = []
    before()
    with connection.execute_wrapper(count):  # counted warm: the first may fill caches
        body(client.get(url))
    times, floor_times, cpu, floor_cpu = [], [], [], []
    for _ in range(n):
        before()
        started, cpu_started = time.perf_counter(), time.process_time()
        body(client.get(url))
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        if floor:
            started, cpu_started = time.perf_counter(), time.process_time()
            body(floor[0].get(floor[1]))
            floor_times.append((time.perf_counter() - started) * 1000)
            floor_cpu.append((time.process_time() - cpu_started) * 1000)
    timed.cpu_ms = statistics.median(cpu)  # this process only: excludes a PostgreSQL server
    timed.floor_cpu_ms = statistics.median(floor_cpu) if floor_cpu else None
    return len(queries), times, size, floor_times


def measure_entry(people, slug, n, floor_url):
    """The member saves this week's value of their hat's first KPI, n times
    (alternating values, so every request writes), each paired with a floor
    request."""
    from roles.models import KPI
    from roles.services.numbers import current

    client, member = people["member"]
    floor_client = people["member"][0]
    kpi = KPI.objects.filter(hat__assignments__person=member, hat__assignments__ended=None)
    kpi = kpi.order_by("position", "id").first()
    url = reverse("roles:number-enter", kwargs={"org": slug})
    data = {"kpi": kpi.id, "person": member.id, "period": current(member.org).isoformat()}
    headers = {"HX-Request": "true"}
    queries = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    def post(value):
        # As htmx posts a form: URL-encoded, not multipart.
        body = urlencode(data | {"value": value})
        return client.post(url, body, content_type=FORM, headers=headers)

    post("1")  # warm
    with connection.execute_wrapper(count):
        response = post("2")
    if response.status_code != 200 or b"is-invalid" in response.content:
        raise RuntimeError(f"{url} refused the value ({response.status_code})")
    times, floor_times = [], []
    for i in range(n):
        started = time.perf_counter()
        post(str(10 + i))
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        body(floor_client.get(floor_url))
        floor_times.append((time.perf_counter() - started) * 1000)
    row = {
        "page": "enter-value",
        "url": url,
        "requests": n,
        "queries": len(queries),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(p95(times), 2),
        "floor_ms": round(statistics.median(floor_times), 3),
        "cpu_ms": None,
        "bytes": len(response.content),
    }
    row["ratio"] = round(row["median_ms"] / row["floor_ms"], 2)
    return row


def p95(times):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def clients_for(slug):
    """{role: (client, Person)} of a generated organisation: signed in as the
    admin, manager and member, and "anonymous" (None) signed in as nobody."""
    people = people_of(slug)
    out = {role: (client_for(role, people), person) for role, person in people.items()}
    out["anonymous"] = (client_for("anonymous", people), None)
    return out


def measure_floor(client, n):
    url = reverse("bench-floor")
    queries, times, size, _ = timed(client, url, n)
    return {
        "queries": queries,
        "cpu_ms": round(timed.cpu_ms, 3),
        "median_ms": statistics.median(times),
        "p95_ms": p95(times),
        "bytes": size,
    }


# Import ---------------------------------------------------------------------
def import_sheet(tasks=IMPORT_TASKS, hats=IMPORT_HATS, seed=1):
    """An XLSX in the common matrix layout: a header of hat names, then tasks
    with ~4 letters each (one A, one R)."""
    from openpyxl import Workbook

    rnd = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("RACI")
    names = [f"Importhatt {i + 1}" for i in range(hats)]
    ws.append(["Uppgift", *names])
    for t in range(tasks):
        row = [""] * hats
        a, r = rnd.randrange(hats), rnd.randrange(hats)
        row[a] = "A"
        row[r] = "A/R" if r == a else "R"
        for _ in range(2):
            k = rnd.randrange(hats)
            if not row[k]:
                row[k] = rnd.choice("CI")
        ws.append([f"Importuppgift {t + 1}", *row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import():
    """Child process: preview and apply the sheet through the import page, as an
    admin would. Prints one JSON line. Peak memory is this process's ru_maxrss
    (tracemalloc would slow the code it measures several times over)."""
    result = {"tasks": IMPORT_TASKS, "hats": IMPORT_HATS, "db": connection.vendor}
    slug = "bench-import"
    generate_size(slug, "S", seed=7)
    analyze()
    client, _ = clients_for(slug)["admin"]
    try:
        url = reverse("roles:matrix-import", kwargs={"org": slug})
    except NoReverseMatch:
        result["skipped"] = "no import page yet (roles:matrix-import)"
        print(json.dumps(result))
        return
    data = import_sheet()
    result["file_bytes"] = len(data)
    before = Responsibility.objects.filter(org__slug=slug).count()
    upload = io.BytesIO(data)
    upload.name = "raci.xlsx"
    # The preview and the apply are jobs: run here, in this process, so that
    # their time and memory are the ones measured (a worker would run them in a
    # child process of its own).
    settings.JOBS_IN_CHILD = False
    started, cpu = time.perf_counter(), time.process_time()
    response = client.post(url, {"file": upload})
    if response.status_code == 302:
        response = run_import_job(client, response["Location"])
    result["preview_s"] = time.perf_counter() - started
    result["preview_cpu_s"] = time.process_time() - cpu
    result["preview_status"] = response.status_code
    page = body(response).decode("utf-8", "replace")
    # Apply is a button of the choices form that posts it to the apply URL.
    apply_url = re.search(r'formaction="([^"]*/apply/)"', page)
    forms = [f for f in post_forms(page) if "/cancel/" not in (f["action"] or "")]
    if not (apply_url and forms):
        result["skipped"] = "preview page shows no apply button"
    else:
        form = max(forms, key=lambda f: len(f["fields"]))  # the choices
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(html.unescape(apply_url.group(1)), form["fields"])
        if response.status_code == 302:
            response = run_import_job(client, response["Location"])
        result["apply_s"] = time.perf_counter() - started
        result["apply_cpu_s"] = time.process_time() - cpu
        result["apply_status"] = response.status_code
        result["letters_written"] = Responsibility.objects.filter(org__slug=slug).count() - before
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_import_job(client, location):
    """Run the import job the page at `location` waits for; that page once done."""
    job_id = int(location.rstrip("/").split("/")[-1])
    jobs.supervise(job_id)
    return client.get(location)


def peak_rss_mb():
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss across exec, so a child would report its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_import():
    env = {**os.environ, "BENCH_CHILD": "1", "DJANGO_SETTINGS_MODULE": "bench.settings"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--import-child"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-2000:]}
    return json.loads(lines[-1])


# Targets --------------------------------------------------------------------
def verdicts(results, sizes):
    """[(target, PASS|FAIL|SKIP, detail)]"""
    out = []
    rows = {(p["page"], p["size"]): p for p in results["pages"] if "median_ms" in p}
    order = [x[0] for x in PAGES] + ["enter-value"]
    pages = sorted({p for p, _ in rows}, key=order.index)
    small, large = sizes[0], sizes[-1]

    def add(name, ok, detail):
        out.append((name, "SKIP" if ok is None else ("PASS" if ok else "FAIL"), detail))

    for page in pages:
        a, b = rows.get((page, small)), rows.get((page, large))
        # A small organisation gets its export at once, a large one the page
        # that starts the export's job: two different answers.
        if a and b and a.get("download") != b.get("download"):
            continue
        if a and b and small != large:
            add(
                f"queries {page}: same at {small} and {large}",
                a["queries"] == b["queries"],
                f"{a['queries']} vs {b['queries']}",
            )
    for page in ("me", "hat", "function"):
        for size in sizes:
            r = rows.get((page, size))
            if r:
                add(f"{page} {size} ≤ 5× floor", r["ratio"] <= 5, f"{r['ratio']:.1f}×")
    for page in ("scorecard", "scorecard-function", "kpi-graph", "me"):
        r = rows.get((page, "XL"))
        if r:
            add(f"{page} XL ≤ 25× floor", r["ratio"] <= 25, f"{r['ratio']:.1f}×")
    for size in sizes:
        r = rows.get(("enter-value", size))
        if r:
            add(f"enter-value {size} ≤ 3× floor", r["ratio"] <= 3, f"{r['ratio']:.1f}×")
    for page in ("matrix-function", "matrix-page"):
        for size in sizes:
            r = rows.get((page, size))
            if r:
                add(f"{page} {size} ≤ 10× floor", r["ratio"] <= 10, f"{r['ratio']:.1f}×")
    for page in ("map",):  # the map with its health checks
        for size, limit in (("L", 25), ("XL", 60)):
            r = rows.get((page, size))
            if r:
                add(f"{page} {size} ≤ {limit}× floor", r["ratio"] <= limit, f"{r['ratio']:.1f}×")
    r = rows.get(("xlsx", "L"))
    if r:
        add("xlsx L < 5 s", r["median_ms"] < 5000, f"{r['median_ms'] / 1000:.2f} s")
    imp = results.get("import") or {}
    if "preview_s" in imp:
        add("import preview < 10 s", imp["preview_s"] < 10, f"{imp['preview_s']:.2f} s")
    if "apply_s" in imp:
        add("import apply < 10 s", imp["apply_s"] < 10, f"{imp['apply_s']:.2f} s")
    if "peak_rss_mb" in imp and "preview_s" in imp:
        add("import peak memory < 300 MB", imp["peak_rss_mb"] < 300, f"{imp['peak_rss_mb']:.0f} MB")
    if imp.get("skipped") or imp.get("error"):
        add(
            f"import {IMPORT_TASKS:,} × {IMPORT_HATS}",
            None,
            imp.get("skipped") or "error, see results.json",
        )
    return out


def db_version():
    if connection.vendor == "sqlite":
        return "SQLite " + ".".join(map(str, connection.Database.sqlite_version_info))
    connection.ensure_connection()
    v = connection.pg_version
    return f"PostgreSQL {v // 10000}.{v % 10000}"


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = sh(["free", "-h"]).splitlines()
    return {
        "nproc": os.cpu_count(),
        "memory": mem[1].split()[1] if len(mem) > 1 else "",
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "db": db_version(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=None, help="S M L XL (default: all)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], help="pages to leave out, e.g. xlsx")
    parser.add_argument("--out", type=Path, default=RESULTS, help="default: bench/results.json")
    parser.add_argument("--import-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--import-only", action="store_true", help="only the import, as JSON")
    args = parser.parse_args()
    if args.import_child:
        run_import()
        return 0
    if args.import_only:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        print(json.dumps(measure_import()))
        return 0
    sizes = args.sizes or os.environ.get("SIZES", "").split() or list(SIZES)
    sizes = [s.upper() for s in sizes]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; choose from {list(SIZES)}")
    sizes.sort(key=list(SIZES).index)

    started_all = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    results = {"machine": machine(), "sizes": sizes, "pages": [], "notes": []}
    results["load_before"] = os.getloadavg()[0]

    floors = []
    for size in sizes:
        slug = f"bench-{size.lower()}"
        t0 = time.perf_counter()
        generate_size(slug, size)
        analyze()
        gen_s = time.perf_counter() - t0
        print(f"\n{size}: generated {SIZES[size]} in {gen_s:.1f} s")
        results.setdefault("generate_s", {})[size] = round(gen_s, 2)
        people = clients_for(slug)
        org_id = Organisation.objects.get(slug=slug).id
        jobs.beat("bench")  # /healthz also wants a job worker seen lately
        urls, missing = page_urls(slug, {k: v[1] for k, v in people.items()})
        for note in missing:
            if note not in results["notes"]:
                results["notes"].append(note)
        floor = measure_floor(people["member"][0], max(args.requests, 50))
        floors.append(floor)
        floor_url = reverse("bench-floor")
        for label, role, url, n in urls:
            if label in args.skip:
                note = f"{label}: left out (--skip)"
                if note not in results["notes"]:
                    results["notes"].append(note)
                continue
            count = min(n, args.requests) if n else args.requests
            try:
                queries, times, nbytes, floor_times = timed(
                    people[role][0],
                    url,
                    count,
                    floor=(people["member"][0], floor_url),
                    status=STATUS.get(label, 200),
                    before=partial(Organisation.touch, org_id) if label in FRESH else None,
                )
            except Exception as exc:  # a broken page is a result, not a crash
                results["pages"].append({"page": label, "size": size, "error": repr(exc)[:300]})
                print(f"  {label:16} ERROR {exc!r:.120}")
                continue
            row = {
                "page": label,
                "size": size,
                "url": url,
                "requests": len(floor_times),
                "queries": queries,
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(p95(times), 2),
                "bytes": nbytes,
                "download": timed.download,
                "floor_ms": round(statistics.median(floor_times), 3),
                "cpu_ms": None if timed.cpu_ms is None else round(timed.cpu_ms, 2),
                "load": os.getloadavg()[0],
            }
            row["ratio"] = round(row["median_ms"] / row["floor_ms"], 2)
            if timed.cpu_ms is not None and timed.floor_cpu_ms:
                row["cpu_ratio"] = round(timed.cpu_ms / timed.floor_cpu_ms, 2)
            results["pages"].append(row)
            print(f"  {label:16} {queries:3} q  {row['median_ms']:9.1f} ms  {nbytes:9} B")

        try:
            row = measure_entry(people, slug, args.requests, floor_url)
        except Exception as exc:  # a broken page is a result, not a crash
            row = {"page": "enter-value", "error": repr(exc)[:300]}
            print(f"  {'enter-value':16} ERROR {exc!r:.120}")
        else:
            print(f"  {'enter-value':16} {row['queries']:3} q  {row['median_ms']:9.1f} ms")
        results["pages"].append(row | {"size": size})

        # Partial results after each size, in case a long run is cut short.
        args.out.write_text(json.dumps(results | {"partial": True}, indent=2) + "\n")

    floor_ms = statistics.median(f["median_ms"] for f in floors)
    results["floor_ms"] = round(floor_ms, 3)
    results["floor"] = floors[0] | {"median_ms": round(floor_ms, 3)}

    if not args.no_import:
        print(f"\nimport {IMPORT_TASKS:,} × {IMPORT_HATS} (subprocess) …")
        results["import"] = measure_import()
    else:
        results["import"] = {"skipped": "--no-import"}
    imp = results["import"]
    results["memory"] = {
        "bench_peak_rss_mb": round(peak_rss_mb(), 1),
        "import_peak_rss_mb": imp.get("peak_rss_mb"),
    }
    results["elapsed_s"] = round(time.perf_counter() - started_all, 1)
    results["load_after"] = os.getloadavg()[0]
    results["targets"] = [
        {"target": t, "verdict": v, "detail": d} for t, v, d in verdicts(results, sizes)
    ]
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print(table(results))
    return 1 if any(t["verdict"] == "FAIL" for t in results["targets"]) else 0


def fmt(value):
    return "–" if value is None else f"{value:.1f}"


def table(results):
    """Markdown tables of the pages and the targets."""
    m = results["machine"]
    lines = [
        f"Floor: {results['floor_ms']:.2f} ms ({results['floor']['queries']} queries: session "
        f"and user). Load average {results['load_before']:.1f} before, "
        f"{results['load_after']:.1f} after. Run took {results['elapsed_s']:.0f} s on "
        f"{m['nproc']} CPUs ({m['cpu']}), "
        f"{m['memory']} RAM, Python {m['python']}, Django {m['django']}, {m['db']}.",
        "",
        "| page | size | queries | median ms | p95 ms | floor ms | × floor | CPU ms "
        "| CPU × floor | bytes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results["pages"]:
        if "median_ms" in r:
            lines.append(
                f"| {r['page']} | {r['size']} | {r['queries']} | {r['median_ms']:.1f} | "
                f"{r['p95_ms']:.1f} | {r['floor_ms']:.2f} | {r['ratio']:.1f} | "
                f"{fmt(r['cpu_ms'])} | {fmt(r.get('cpu_ratio'))} | {r['bytes']:,} |"
            )
        else:
            lines.append(f"| {r['page']} | {r['size']} | ERROR | {r['error'][:60]} | | | | | | |")
    lines += ["", "| target | verdict | measured |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['verdict']} | {t['detail']} |" for t in results["targets"]]
    if results["notes"]:
        lines += ["", *[f"- {n}" for n in results["notes"]]]
    imp = results.get("import") or {}
    if imp.get("skipped"):
        lines.append(f"- import {IMPORT_TASKS:,} × {IMPORT_HATS}: skipped, {imp['skipped']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
