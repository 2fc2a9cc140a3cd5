"""openpyxl against python-calamine, reading the same workbooks to rows of values:
CPU seconds and peak memory, each reading in a subprocess of its own. The
figures and the choice they led to are in docs/ARCHITECTURE.md ("Reading
workbooks").

    .venv/bin/python -m bench.readers
"""

import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.import_cost import large_matrix, peak_mb, shared_strings

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "import"


def workbooks():
    small = sorted(p for p in FIXTURES.glob("*.xlsx") if "csv-named" not in p.name)
    return {
        f"the {len(small)} .xlsx fixtures": [p.read_bytes() for p in small],
        "5,000 tasks × 50 hats": [large_matrix()[0]],
        "47 MB of shared strings": [shared_strings()[0]],
    }


def read_openpyxl(data):
    import openpyxl  # noqa: PLC0415

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    book.close()
    return len(rows)


def read_calamine(data):
    import python_calamine  # noqa: PLC0415

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(
        len(book.get_sheet_by_index(i).to_python(skip_empty_area=False))
        for i in range(len(book.sheet_names))
    )


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0


def child(reader, paths):
    data = [Path(p).read_bytes() for p in paths]
    read = {"openpyxl": read_openpyxl, "calamine": read_calamine}[reader]
    import openpyxl  # noqa: F401, PLC0415 - imported before the clock starts
    import python_calamine  # noqa: F401, PLC0415

    start = rss_mb()
    cpu = time.process_time()
    for one in data:
        read(one)
    return {"cpu_s": round(time.process_time() - cpu, 3), "mb": round(peak_mb() - start)}


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3:])))
        return
    print("| workbooks | openpyxl CPU | openpyxl memory | calamine CPU | calamine memory |")
    print("|---|--:|--:|--:|--:|")
    folder = Path(tempfile.mkdtemp())
    for group, (name, data) in enumerate(workbooks().items()):
        paths = []
        for n, one in enumerate(data):
            paths.append(folder / f"{group}-{n}.xlsx")
            paths[-1].write_bytes(one)
        cells = [name]
        for reader in ("openpyxl", "calamine"):
            out = subprocess.run(
                [sys.executable, "-m", "bench.readers", "--child", reader, *map(str, paths)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            got = json.loads(out.splitlines()[-1])
            cells += [f"{got['cpu_s']} s", f"+{got['mb']} MB"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
