"""The import's worst cases, each previewed and applied in a subprocess of its own
so that its peak memory is its own: CPU seconds (not wall time) and peak RSS
against the limits the import promises.

    .venv/bin/python -m bench.import_cost            # every case, a table
    .venv/bin/python -m bench.import_cost --json     # the same as JSON

Limits: a file inside the reader's limits is previewed (read and planned) in
≤ 10 s of CPU and ≤ 300 MB, and applied (the stored preview planned again and
written) in ≤ 20 s and ≤ 400 MB; a file beyond them is refused within 2 s of
CPU with a message that names the limit. `make bench` runs this after the pages;
tests/test_import_cost.py runs the same cases against the same limits with a
wide margin."""

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PREVIEW_CPU_S, PREVIEW_MB = 10, 300
APPLY_CPU_S, APPLY_MB = 20, 400
REFUSE_CPU_S = 2
ROOT = Path(__file__).resolve().parent.parent


# Cases ----------------------------------------------------------------------------------
def xlsx(sheets):
    from openpyxl import Workbook  # noqa: PLC0415

    book = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def edit_sheets(data, change):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            member = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                member = change(member)
            target.writestr(name, member, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def small_matrix(n):
    return [["Task", "Seller", "Sales manager", "CFO"]] + [
        [f"Task {n}.{t}", "R", "A", "I"] for t in range(12)
    ]


def far_away_row():
    """Three sheets whose last row is a formatted, empty cell at row 1,048,576, and
    whose stored dimension says a million rows."""
    data = xlsx({f"Sheet{n}": small_matrix(n) for n in range(1, 4)})

    def change(member):
        far = b'<row r="1048576"><c r="E1048576" s="0"/></row></sheetData>'
        member = member.replace(b"</sheetData>", far)
        return member.replace(b"<sheetData>", b'<dimension ref="A1:E1048576"/><sheetData>', 1)

    return edit_sheets(data, change), "far-away-row.xlsx"


def far_away_value():
    """A value in cell XFD1048576: read densely, it would ask for terabytes."""

    def change(member):
        far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return member.replace(b"</sheetData>", far + b"</sheetData>")

    return edit_sheets(xlsx({"RACI": small_matrix(1)}), change), "far-away-value.xlsx"


def wide_csv():
    """4,999 tasks × 300 columns (a task and 299 hats), a letter in every cell: 3 MB,
    inside the limits of size, rows and columns."""
    rnd = random.Random(3)
    lines = ["Task," + ",".join(f"Hat {h}" for h in range(299))]
    for t in range(4999):
        lines.append(f"T{t}," + ",".join(rnd.choice("RACI") for _ in range(299)))
    return ("\n".join(lines) + "\n").encode(), "wide.csv"


def shared_strings():
    """A workbook whose shared strings table holds 47 MB of text (0.3 MB zipped),
    beside a small matrix."""
    data = xlsx({"RACI": small_matrix(1)})
    rnd = random.Random(5)
    chunk = "".join(rnd.choice("abcdefghij ") for _ in range(2000))
    count = 47 * 1024 * 1024 // 2000
    strings = "".join(f"<si><t>{n}{chunk}</t></si>" for n in range(count))
    table = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{count}" uniqueCount="{count}">{strings}</sst>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            member = source.read(name)
            if name == "[Content_Types].xml":
                member = member.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if name == "xl/_rels/workbook.xml.rels":
                member = member.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" '
                    b'Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(name, member, zipfile.ZIP_DEFLATED)
        target.writestr("xl/sharedStrings.xml", table, zipfile.ZIP_DEFLATED)
    return out.getvalue(), "shared-strings.xlsx"


def large_matrix():
    """The largest ordinary sheet: 5,000 tasks × 50 hats, ~4 letters a task."""
    rnd = random.Random(1)
    rows = [["Uppgift", *[f"Hatt {h}" for h in range(50)]]]
    for t in range(5000):
        row = [None] * 50
        row[rnd.randrange(50)] = "A"
        row[rnd.randrange(50)] = "R"
        row[rnd.randrange(50)] = rnd.choice("CI")
        rows.append([f"Uppgift {t}", *row])
    return xlsx({"RACI": rows}), "large.xlsx"


CASES = {
    "far-away row, million-row dimension (3 sheets)": far_away_row,
    "a value in XFD1048576": far_away_value,
    "CSV 4,999 × 300, every cell a letter": wide_csv,
    "47 MB of shared strings": shared_strings,
    "5,000 tasks × 50 hats": large_matrix,
}


# The child: one case, measured ----------------------------------------------------------
def peak_mb():
    """VmHWM: this process's peak resident memory (ru_maxrss survives exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # noqa: PLC0415

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(case):
    import django  # noqa: PLC0415

    django.setup()
    from django.utils import translation  # noqa: PLC0415

    from roles.interchange import importer  # noqa: PLC0415
    from roles.interchange.reader import Sheet, SheetError, read_sheet  # noqa: PLC0415
    from roles.models import Organisation  # noqa: PLC0415

    translation.activate("en")
    data, name = CASES[case]()
    slug = f"cost-{os.getpid()}"
    org = Organisation.objects.create(name=slug, slug=slug, language="en")
    result = {"case": case, "bytes": len(data), "start_mb": round(peak_mb())}
    cpu = time.process_time()
    try:
        plan = importer.plan(org, read_sheet(data, name))
    except SheetError as exc:
        result.update(refused=str(exc), refuse_cpu_s=round(time.process_time() - cpu, 2))
        result["peak_mb"] = round(peak_mb())
        return result
    # What the preview keeps, and apply reads back: the sheet as plain data.
    stored = json.dumps(plan.sheet.to_data())
    result.update(
        preview_cpu_s=round(time.process_time() - cpu, 2),
        preview_mb=round(peak_mb()),
        stored_kb=round(len(stored) / 1024),
        tasks=len(plan.sheet.tasks),
        hats=len(plan.sheet.hats),
    )
    cpu = time.process_time()
    summary = importer.apply(importer.plan(org, Sheet.from_data(json.loads(stored))))
    result.update(
        apply_cpu_s=round(time.process_time() - cpu, 2),
        apply_mb=round(peak_mb()),
        letters=summary["cells_changed"],
    )
    return result


# The parent -----------------------------------------------------------------------------
def migrated_database(folder):
    """A fresh SQLite database in `folder`, migrated once for every case."""
    url = f"sqlite:///{folder}/import_cost.sqlite3"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.setdefault("HATTA_TESTING", "1")
    env["DJANGO_SETTINGS_MODULE"] = "hatta.settings"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def measure(case, env):
    proc = subprocess.run(
        [sys.executable, "-m", "bench.import_cost", "--child", case],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"case": case, "error": (proc.stderr or proc.stdout)[-2000:]}
    result = json.loads(lines[-1])
    result["stderr"] = proc.stderr.strip()
    return result


def verdict(result):
    """(within the limits, what was measured)"""
    if "error" in result:
        return False, "crashed: " + result["error"][-300:]
    if "refused" in result:
        ok = result["refuse_cpu_s"] <= REFUSE_CPU_S
        return ok, f"refused in {result['refuse_cpu_s']} s CPU: {result['refused']}"
    ok = (
        result["preview_cpu_s"] <= PREVIEW_CPU_S
        and result["preview_mb"] <= PREVIEW_MB
        and result["apply_cpu_s"] <= APPLY_CPU_S
        and result["apply_mb"] <= APPLY_MB
    )
    return ok, (
        f"preview {result['preview_cpu_s']} s CPU, {result['preview_mb']} MB; "
        f"apply {result['apply_cpu_s']} s CPU, {result['apply_mb']} MB "
        f"({result['tasks']} tasks, {result['letters']} letters)"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    failed = 0
    results = []
    with tempfile.TemporaryDirectory() as folder:
        env = migrated_database(folder)
        for case in CASES:
            result = measure(case, env)
            ok, detail = verdict(result)
            failed += not ok
            results.append(result)
            if not args.json:
                print(f"{'PASS' if ok else 'FAIL'}  {case}: {detail}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
