"""Database side of the load tests, run with the app's own settings against the
load database.

    python -m bench.load_check prepare OUT.json   # ids for the load scripts, and a baseline
    python -m bench.load_check verify OUT.json EDITS.json

`verify` checks that every edit the app answered "saved" is in the history,
that each hat's version rose once per recorded save (no lost update) and that no
invariant broke: no row links two organisations, no task gained a second A.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatta.settings")
django.setup()

from django.db import connection  # noqa: E402

from bench.generate import logins  # noqa: E402
from bench.pages import objects_of, people_of  # noqa: E402
from roles.models import Function, Hat, HatChange  # noqa: E402

SLUG = os.environ.get("LOAD_ORG", "stor")
OTHER = os.environ.get("LOAD_OTHER_ORG", "nordisk")

# Rows whose foreign keys point into another organisation (must be 0).
CROSS_ORG = {
    "responsibility→hat": """SELECT count(*) FROM roles_responsibility r
        JOIN roles_hat h ON h.id = r.hat_id WHERE h.org_id <> r.org_id""",
    "responsibility→task": """SELECT count(*) FROM roles_responsibility r
        JOIN roles_task t ON t.id = r.task_id WHERE t.org_id <> r.org_id""",
    "assignment→person": """SELECT count(*) FROM roles_assignment a
        JOIN roles_person p ON p.id = a.person_id WHERE p.org_id <> a.org_id""",
    "hat→function": """SELECT count(*) FROM roles_hat h
        JOIN roles_function f ON f.id = h.function_id WHERE f.org_id <> h.org_id""",
    "hatchange→hat": """SELECT count(*) FROM roles_hatchange c
        JOIN roles_hat h ON h.id = c.hat_id WHERE h.org_id <> c.org_id""",
}
MANY_A = """SELECT count(*) FROM (SELECT task_id FROM roles_responsibility
    WHERE letter = 'A' GROUP BY task_id HAVING count(*) > 1) x"""


def scalar(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def prepare(out):
    people = people_of(SLUG)
    ids = objects_of(people)
    manager = people["manager"]
    function = Function.objects.for_org(manager.org).get(pk=ids["function"])
    # Contended hats: a handful every editor fights over, in the manager's function.
    contended = list(
        Hat.objects.for_org(manager.org)
        .filter(function__in=[function, *function.children.all()])
        .order_by("id")
        .values_list("id", flat=True)[:3]
    )
    known = logins(SLUG)
    data = {
        "org": SLUG,
        "other_org": OTHER,
        "member": known.member,
        "manager": known.manager,
        "password": known.password,
        "member_hat": ids["hat"],
        "contended": contended,
        "versions": {
            str(h): v for h, v in Hat.objects.filter(pk__in=contended).values_list("id", "version")
        },
        "last_change": HatChange.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "many_a": scalar(MANY_A),
    }
    with open(out, "w") as fh:
        json.dump(data, fh)
    print(json.dumps(data))


def verify(baseline_path, edits_path):
    with open(baseline_path) as fh:
        base = json.load(fh)
    with open(edits_path) as fh:
        edits = json.load(fh)  # {"saved": [[hat_id, marker]], "conflicts": n}
    saved = edits["saved"]
    problems = []
    # Every save since the baseline: one version step and one "notes" history row.
    recorded = set(
        HatChange.objects.filter(
            id__gt=base["last_change"], hat_id__in=base["contended"], field="notes"
        ).values_list("hat_id", "new")
    )
    answered = {(int(h), marker) for h, marker in saved}
    lost = len(answered - recorded)  # the app said "saved" and the edit is not there
    unanswered = len(recorded - answered)  # saved, but the run stopped before the answer
    for hat_id, before in base["versions"].items():
        after = Hat.objects.get(pk=int(hat_id)).version
        count = sum(1 for h, _ in recorded if h == int(hat_id))
        if after - before != count:
            problems.append(f"hat {hat_id}: version {before}→{after} but {count} saves recorded")
    for name, sql in CROSS_ORG.items():
        n = scalar(sql)
        if n:
            problems.append(f"{n} rows {name} cross organisations")
    many_a = scalar(MANY_A)
    if many_a > base["many_a"]:
        problems.append(f"tasks with two or more A's: {base['many_a']} → {many_a}")
    report = {
        "saved_edits": len(saved),
        "conflicts": edits.get("conflicts", 0),
        "lost_edits": lost,
        "saved_unanswered": unanswered,
        "invariant_problems": problems,
    }
    print(json.dumps(report))
    return 0 if lost == 0 and not problems else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"]:
        prepare(sys.argv[2])
    elif sys.argv[1:2] == ["verify"]:
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
