"""Generate a realistic organisation of a given size, fast.

Used by the benchmark (bench/run.py), the load test, the `generate_org`
management command and tests. Rows are written with bulk_create: an XL
organisation has ~130,000 rows, and going through Model.save() would run
OrgOwned's cross-organisation check (one EXISTS query per foreign key per row)
hundreds of thousands of times. That check is skipped deliberately; every row
is built here from this organisation's own objects, so no link can cross.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from roles import raci
from roles.models import (
    KPI,
    Acknowledgement,
    Area,
    Assignment,
    ChecklistItem,
    Function,
    Hat,
    HatRevision,
    KPIValue,
    Organisation,
    Person,
    Responsibility,
    Task,
    User,
)
from roles.numbers import period_start

# (people, functions, hats, tasks)
SIZES = {
    "S": (15, 8, 12, 30),
    "M": (200, 30, 80, 400),
    "L": (2_000, 150, 600, 4_000),
    "XL": (10_000, 400, 2_000, 15_000),
}

PASSWORD = "hatta-bench-2026"  # noqa: S105 - generated demo data only
BATCH = 2_000

FIRST = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Emma",
    "Ida",
    "Linda",
    "Lena",
    "Kristina",
    "Elin",
    "Johanna",
    "Sofia",
    "Malin",
    "Helena",
    "Cecilia",
    "Frida",
    "Hanna",
    "Jenny",
    "Camilla",
    "Erik",
    "Lars",
    "Karl",
    "Anders",
    "Johan",
    "Per",
    "Nils",
    "Mikael",
    "Jan",
    "Hans",
    "Peter",
    "Fredrik",
    "Oskar",
    "Gustav",
    "Magnus",
    "Henrik",
    "Axel",
    "Viktor",
    "Olof",
    "Mattias",
    "Björn",
    "Jonas",
    "Stefan",
    "Daniel",
    "Åsa",
    "Märta",
    "Örjan",
    "Ingrid",
    "Sven",
    "Göran",
]
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Olofsson",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lind",
    "Lundgren",
    "Lundqvist",
    "Mattsson",
    "Berglund",
    "Fredriksson",
    "Sandberg",
    "Henriksson",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Ali",
    "Engström",
    "Eklund",
    "Danielsson",
    "Lundin",
    "Håkansson",
    "Björk",
    "Bergman",
    "Gunnarsson",
    "Holm",
    "Wikström",
    "Samuelsson",
    "Isaksson",
    "Fransson",
    "Bergqvist",
    "Nyström",
    "Holmberg",
    "Arvidsson",
    "Löfgren",
    "Söderberg",
    "Nyberg",
    "Blomqvist",
    "Claesson",
    "Nordström",
    "Mårtensson",
    "Lundström",
    "Ström",
]
FUNCTION_NAMES = (
    "Försäljning",
    "Innesälj",
    "Fältsälj",
    "Key Account",
    "Säljsupport",
    "Marknad",
    "Kundservice",
    "Ekonomi",
    "Inköp",
    "Logistik",
    "Produktion",
    "Kvalitet",
    "HR",
    "IT",
    "Eftermarknad",
    "Affärsutveckling",
    "Partnerförsäljning",
    "Export",
    "Offertavdelning",
    "Order",
)
REGIONS = ("Nord", "Syd", "Väst", "Öst", "Mitt", "Stockholm", "Göteborg", "Malmö", "Norden")
HAT_TITLES = (
    "Säljare",
    "Innesäljare",
    "Key Account Manager",
    "Säljsupport",
    "Säljoperations",
    "Customer Success Manager",
    "Marknadskoordinator",
    "Teamledare",
    "Offertansvarig",
    "Orderhandläggare",
    "Controller",
    "Inköpare",
    "Kundtjänstmedarbetare",
    "Produktspecialist",
    "Projektledare",
    "Analytiker",
)
AREA_NAMES = (
    "Prospektering",
    "Kvalificering",
    "Offert",
    "Förhandling",
    "Order",
    "Leverans",
    "Fakturering",
    "Eftermarknad",
    "Kundvård",
    "Marknadsföring",
    "Rapportering",
    "Budget",
    "Rekrytering",
    "Avtal",
)
VERBS = (
    "Boka",
    "Följa upp",
    "Ta fram",
    "Godkänna",
    "Uppdatera",
    "Planera",
    "Rapportera",
    "Analysera",
    "Besöka",
    "Skicka",
    "Förhandla",
    "Arkivera",
    "Granska",
    "Presentera",
)
OBJECTS = (
    "kundmöten",
    "offerter",
    "prognos",
    "prislista",
    "avtal",
    "leads",
    "kampanjer",
    "ordrar",
    "reklamationer",
    "kundbesök",
    "CRM-data",
    "månadsrapport",
    "budget",
    "rabatter",
    "leveranstider",
    "nyckelkunder",
    "mässor",
    "produktblad",
    "kreditprövning",
    "säljmål",
)
PURPOSES = (
    "Vinna nya affärer och utveckla befintliga kunder inom sitt område.",
    "Se till att varje kund får rätt erbjudande i rätt tid.",
    "Hålla ordning på order, leveranser och fakturor så att kunden blir nöjd.",
    "Ge säljarna underlag och verktyg så att de kan sälja mer.",
    "Leda funktionen mot lönsam tillväxt med tydliga hattar för alla.",
)


@dataclass(frozen=True)
class Logins:
    admin: str
    manager: str
    member: str
    password: str = PASSWORD


def logins(slug):
    """The three known sign-ins of a generated organisation."""
    return Logins(
        admin=f"admin@{slug.lower()}.example",
        manager=f"manager@{slug.lower()}.example",
        member=f"member@{slug.lower()}.example",
    )


def generate_size(slug, size, seed=0, **kwargs):
    people, functions, hats, tasks = SIZES[size]
    return generate_org(slug, people, functions, hats, tasks, seed=seed, **kwargs)


def analyze():
    """Refresh the planner's statistics after a bulk load, as PostgreSQL's
    autovacuum does within a minute of one in production. Without it the
    planner still believes the tables are nearly empty: measured on XL, the hat
    page's one join over tasks took 10 ms instead of 1 ms."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@transaction.atomic
def generate_org(
    slug,
    people,
    functions,
    hats,
    tasks,
    letters_per_task=4,
    seed=0,
    name=None,
    password=PASSWORD,
):
    """Create organisation `slug` with the given counts and return it.

    The three logins of `logins(slug)` are the admin (heads the root function,
    wears the top hat), a manager (heads the first sub-function) and a member
    (wears a hat in the manager's function); all share `password`.
    """
    if people < 3 or functions < 2 or hats < 2 or tasks < 1:
        raise ValueError("need at least 3 people, 2 functions, 2 hats and 1 task")
    rnd = random.Random(seed)
    org = Organisation.objects.create(name=name or f"{slug.title()} AB", slug=slug)
    known = logins(slug)

    # Logins: one password hash for all three (one hash costs ~0.5 s with PBKDF2).
    hashed = make_password(password)
    users = [
        User(email=known.admin, name=f"Admin {org.name}", password=hashed),
        User(email=known.manager, name=f"Chef {org.name}", password=hashed),
        User(email=known.member, name=f"Medlem {org.name}", password=hashed),
    ]
    existing = {u.email: u for u in User.objects.filter(email__in=[u.email for u in users])}
    new_users = [u for u in users if u.email not in existing]
    User.objects.bulk_create(new_users)
    users = [existing.get(u.email, u) for u in users]
    if any(u.pk is None for u in users):  # backends that return no ids
        by_email = {u.email: u for u in User.objects.filter(email__in=[u.email for u in users])}
        users = [by_email[u.email] for u in users]

    # People ----------------------------------------------------------------
    rows = []
    for i in range(people):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        rows.append(
            Person(
                org=org,
                name=f"{first} {last}",
                email=f"{ascii_slug(first)}.{ascii_slug(last)}.{i}@{slug.lower()}.example",
                access=Person.MEMBER,
                active=rnd.random() > 0.01,
            )
        )
    for i, (user, access) in enumerate(
        zip(users, (Person.ADMIN, Person.MANAGER, Person.MEMBER), strict=True)
    ):
        rows[i].user, rows[i].email, rows[i].access, rows[i].active = (
            user,
            user.email,
            access,
            True,
        )
        rows[i].name = ("Anna Lindqvist", "Erik Johansson", "Sara Nilsson")[i]
    persons = bulk(Person, rows)
    admin, manager, member = persons[0], persons[1], persons[2]

    # Functions: a tree with fan-out 3, created level by level so parents have ids.
    names = unique_names(FUNCTION_NAMES, functions, rnd)
    names[0] = "Ledning"
    parent_index = [None] + [(i - 1) // 3 for i in range(1, functions)]
    depth = [0] * functions
    for i in range(1, functions):
        depth[i] = depth[parent_index[i]] + 1
    head_pool = persons[3:] or persons
    func_objs = [
        Function(org=org, name=names[i], position=i, description="") for i in range(functions)
    ]
    heads = set()
    for i, fn in enumerate(func_objs):
        if i == 0:
            fn.head = admin
        elif i == 1:
            fn.head = manager
        elif rnd.random() < 0.85:  # a few functions have no head
            fn.head = rnd.choice(head_pool)
        if fn.head is not None:
            heads.add(fn.head.pk)
    for level in range(max(depth) + 1):
        batch = [fn for i, fn in enumerate(func_objs) if depth[i] == level]
        for i, fn in enumerate(func_objs):
            if depth[i] == level and parent_index[i] is not None:
                fn.parent = func_objs[parent_index[i]]
        bulk(Function, batch)
    Person.objects.filter(pk__in=heads - {admin.pk}).update(access=Person.MANAGER)

    # Hats: every function gets one before any gets a second, except a few left
    # without a hat (a gap the map must show).
    hat_function = []
    bare = set(rnd.sample(range(2, functions), k=min(len(range(2, functions)), functions // 40)))
    order = [i for i in range(functions) if i not in bare]
    for k in range(hats):
        if k < len(order):
            hat_function.append(order[k])
        else:
            hat_function.append(rnd.choice(order[1:] or order))
    titles_per_function = {}
    hat_objs = []
    for k, fi in enumerate(hat_function):
        used = titles_per_function.setdefault(fi, set())
        if k == 0:
            title = "VD"
        elif fi == 1 and "försäljningschef" not in used:
            title = "Försäljningschef"
        else:
            base = rnd.choice(HAT_TITLES)
            title = f"{base} {REGIONS[len(used) % len(REGIONS)]}" if base.lower() in used else base
            n = 2
            while title.lower() in used:
                title = f"{base} {n}"
                n += 1
        used.add(title.lower())
        hat_objs.append(
            Hat(
                org=org,
                function=func_objs[fi],
                title=title,
                purpose="" if rnd.random() < 0.03 else rnd.choice(PURPOSES),
                product="Nöjda kunder och nådda mål." if rnd.random() < 0.8 else "",
                authority="Beslutar om rabatter upp till 10 %." if rnd.random() < 0.5 else "",
                position=k,
            )
        )
    bulk(Hat, hat_objs)
    first_hat_of = {}
    for h, fi in zip(hat_objs, hat_function, strict=True):
        first_hat_of.setdefault(fi, h)
    for h, fi in zip(hat_objs, hat_function, strict=True):
        p = parent_index[fi]
        boss = first_hat_of.get(fi) if first_hat_of.get(fi) is not h else None
        if boss is None and p is not None:
            boss = first_hat_of.get(p)
        h.reports_to = boss if boss is not h else None
    Hat.objects.bulk_update(hat_objs, ["reports_to"], batch_size=BATCH)

    kpis, checklist = [], []
    for h in hat_objs:
        kpis.append(
            KPI(
                hat=h,
                name="Ordervärde",
                target="150 000",
                unit="SEK",
                period="vecka",
                value_kind="amount",
                goal=150_000,
            )
        )
        kpis.append(
            KPI(
                hat=h,
                name="Kundnöjdhet",
                target="80",
                unit="%",
                period="vecka",
                value_kind="percent",
                goal=80,
            )
        )
        checklist.append(ChecklistItem(hat=h, text="Gå igenom prislistan", position=0))
        checklist.append(ChecklistItem(hat=h, text="Lär dig CRM-systemet", position=1))
    bulk(KPI, kpis)
    bulk(ChecklistItem, checklist)

    # Assignments: most people wear one hat, some two (shares), a few none;
    # a few hats stay vacant.
    vacant = set(rnd.sample(range(3, hats), k=min(max(hats - 3, 0), max(1, hats // 30))))
    wearable = [k for k in range(hats) if k not in vacant] or list(range(hats))
    manager_hats = [k for k, fi in enumerate(hat_function) if fi == 1] or [1]
    # The member wears a hat in a function below the manager's (within their reach).
    below = [k for k, fi in enumerate(hat_function) if parent_index[fi] == 1 and k not in vacant]
    member_hat = (below or manager_hats[1:] or [k for k in wearable if k != 0])[0]
    assignments = []
    worn = set()

    def wear(person, k, share=None):
        if (person.pk, k) in worn:
            return
        worn.add((person.pk, k))
        assignments.append(Assignment(org=org, hat=hat_objs[k], person=person, share=share))

    wear(admin, 0, 100)
    wear(manager, manager_hats[0], 100)
    wear(member, member_hat, 100)
    unworn = [k for k in wearable if k not in {0, manager_hats[0], member_hat}]
    rnd.shuffle(unworn)
    for i, person in enumerate(persons[3:]):
        roll = rnd.random()
        if roll < 0.02:
            continue  # wears no hat: a gap
        k = unworn.pop() if unworn else rnd.choice(wearable)
        if roll > 0.9:
            wear(person, k, 60)
            wear(person, rnd.choice(wearable), 40 if roll < 0.98 else 70)  # some overloaded
        else:
            wear(person, k, 100 if i % 3 else None)
    bulk(Assignment, assignments)

    # Areas of ~20–60 tasks, each owned by one function.
    area_sizes = []
    left = tasks
    while left > 0:
        n = min(left, rnd.randint(20, 60))
        area_sizes.append(n)
        left -= n
    area_objs = [
        Area(org=org, name=n, position=i)
        for i, n in enumerate(unique_names(AREA_NAMES, len(area_sizes), rnd))
    ]
    bulk(Area, area_objs)
    hats_by_function = {}
    for k, fi in enumerate(hat_function):
        hats_by_function.setdefault(fi, []).append(k)
    owners = list(hats_by_function)

    task_objs, area_of_task = [], []
    seen_names = {}
    pos = 0
    for ai, n in enumerate(area_sizes):
        for _ in range(n):
            base = f"{rnd.choice(VERBS)} {rnd.choice(OBJECTS)}"
            count = seen_names.get(base, 0) + 1
            seen_names[base] = count
            task_objs.append(
                Task(
                    org=org,
                    area=area_objs[ai],
                    name=base if count == 1 else f"{base} {count}",
                    position=pos,
                )
            )
            area_of_task.append(ai)
            pos += 1

    # Responsibilities: ~letters_per_task letters; mostly exactly one A and one R,
    # from hats of the area's owning function; C and I anywhere. A few problems.
    area_owner = [rnd.choice(owners) for _ in area_objs]
    resp = []
    cells_by_hat = {}
    for t, ai in zip(task_objs, area_of_task, strict=True):
        local = hats_by_function[area_owner[ai]]
        cell = {}
        roll = rnd.random()
        a_hat = rnd.choice(local)
        r_hat = rnd.choice(local) if rnd.random() < 0.5 else rnd.randrange(hats)
        if roll >= 0.02:  # 2 %: no A
            cell.setdefault(a_hat, set()).add("A")
        if 0.02 <= roll < 0.03:  # 1 %: two A's
            cell.setdefault(rnd.randrange(hats), set()).add("A")
        if not 0.03 <= roll < 0.04:  # 1 %: no R
            cell.setdefault(r_hat, set()).add("R")
        extra = max(0, letters_per_task - 2 + rnd.choice((-1, 0, 0, 1)))
        for _ in range(extra):
            k = rnd.randrange(hats)
            if k not in cell:
                cell[k] = {rnd.choice("CI")}
            elif rnd.random() < 0.01:
                cell[k].add("C")  # an unusual combination, e.g. R/C
        for k, letters in cell.items():
            for letter in sorted(letters):
                resp.append(Responsibility(org=org, task=t, hat=hat_objs[k], letter=letter))
            cells_by_hat.setdefault(k, []).append((t, letters))
        # The status counts TaskQuerySet.refresh_status keeps, written with the
        # task rather than updated after (15,000 dead rows at XL otherwise).
        t.a_count, t.r_count, t.unusual_count = raci.status_counts(cell.values())
    bulk(Task, task_objs)
    bulk(Responsibility, resp, batch_size=5_000)

    # Published revisions for ~60 % of hats; most wearers confirmed them.
    revisions, published = [], []
    for k, h in enumerate(hat_objs):
        if k in (0, member_hat) or rnd.random() < 0.6:
            h.revision = 1
            published.append(k)
            revisions.append(
                HatRevision(
                    org=org,
                    hat=h,
                    number=1,
                    author=admin,
                    note="Första versionen.",
                    snapshot=snapshot(h, func_objs[hat_function[k]], cells_by_hat.get(k, ())),
                )
            )
    bulk(HatRevision, revisions)
    Hat.objects.bulk_update([hat_objs[k] for k in published], ["revision"], batch_size=BATCH)
    revision_of = {r.hat_id: r for r in revisions}
    acks = []
    for a in assignments:
        rev = revision_of.get(a.hat.pk)
        if rev is None:
            continue
        if a.person is member or rnd.random() < 0.75:
            acks.append(Acknowledgement(org=org, person=a.person, hat=a.hat, revision=rev))
    bulk(Acknowledgement, acks)
    add_numbers(org, kpis, assignments, rnd)
    return org


def add_numbers(org, kpis, assignments, rnd, weeks=52):
    """A value per KPI, wearer and week for the last `weeks` weeks (about a
    million at XL), written in batches so that memory stays flat."""
    this = period_start(timezone.localdate())
    periods = [this - datetime.timedelta(days=7 * i) for i in range(weeks)]
    wearers = {}
    for a in assignments:
        wearers.setdefault(a.hat.pk, []).append(a.person.pk)
    rows = []
    for kpi in kpis:
        amount = kpi.value_kind == "amount"
        for person_id in wearers.get(kpi.hat.pk, ()):
            level = rnd.uniform(0.7, 1.3)
            for period in periods:
                if amount:
                    value = int(150_000 * level * rnd.uniform(0.7, 1.3)) // 1000 * 1000
                else:
                    value = min(100, int(80 * level * rnd.uniform(0.85, 1.15)))
                rows.append(
                    KPIValue(
                        org=org,
                        kpi_id=kpi.pk,
                        person_id=person_id,
                        period=period,
                        value=value,
                        author_id=person_id,
                    )
                )
            if len(rows) >= 20_000:
                bulk(KPIValue, rows, batch_size=5_000)
                rows = []
    bulk(KPIValue, rows, batch_size=5_000)


def bulk(model, objs, batch_size=BATCH):
    """bulk_create that leaves primary keys on the objects (PostgreSQL and SQLite
    return them)."""
    return model.objects.bulk_create(objs, batch_size=batch_size)


def snapshot(hat, function, cells):
    """The shape of roles.services.hats.snapshot_hat, built from memory."""
    duties, involved = [], []
    for task, letters in cells:
        row = {"task": task.name, "area": "", "letters": raci.format_cell(letters)}
        (duties if letters & {"A", "R"} else involved).append(row)
    return {
        "title": hat.title,
        "function": function.name,
        "purpose": hat.purpose,
        "product": hat.product,
        "authority": hat.authority,
        "reports_to": "",
        "notes": "",
        "kpis": [],
        "checklist": [],
        "duties": duties,
        "involved": involved,
    }


def unique_names(bases, n, rnd):
    """n distinct names built from `bases`, with regions and numbers when they run out."""
    out, used = [], set()
    i = 0
    while len(out) < n:
        base = bases[i % len(bases)]
        round_ = i // len(bases)
        if round_ == 0:
            name = base
        elif round_ <= len(REGIONS):
            name = f"{base} {REGIONS[round_ - 1]}"
        else:
            name = f"{base} {round_ - len(REGIONS) + 1}"
        if name.lower() not in used:
            used.add(name.lower())
            out.append(name)
        i += 1
    return out


def ascii_slug(text):
    return (
        text.lower()
        .replace("å", "a")
        .replace("ä", "a")
        .replace("ö", "o")
        .replace("é", "e")
        .replace(" ", "-")
    )
