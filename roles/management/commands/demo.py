"""Load the demo organisation "Nordisk Försäljning AB" and a second one,
"Annat Bolag AB". Idempotent: a second run changes nothing."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from roles.demo_numbers import add_numbers
from roles.models import (
    KPI,
    Area,
    Assignment,
    ChecklistItem,
    Function,
    Hat,
    Notification,
    Organisation,
    Person,
    Responsibility,
    Task,
    User,
)
from roles.services import hats as services

# (key, name, email or None, access)
PEOPLE = [
    ("anna", "Anna Lindqvist", "vd@nordisk.example", "admin"),
    ("erik", "Erik Johansson", "saljchef@nordisk.example", "manager"),
    ("sara", "Sara Nilsson", "saljare@nordisk.example", "member"),
    ("johan", "Johan Berg", "johan.berg@nordisk.example", "member"),
    ("fredrik", "Fredrik Wallin", "fredrik.wallin@nordisk.example", "member"),
    ("maria", "Maria Svensson", "maria.svensson@nordisk.example", "member"),
    ("oskar", "Oskar Lund", "oskar.lund@nordisk.example", "member"),
    ("karin", "Karin Holm", "karin.holm@nordisk.example", "member"),
    ("lars", "Lars Ek", "lars.ek@nordisk.example", "member"),
    ("linda", "Linda Ström", "linda.strom@nordisk.example", "member"),
    ("emma", "Emma Forsberg", "emma.forsberg@nordisk.example", "manager"),
    ("ida", "Ida Larsson", "ida.larsson@nordisk.example", "member"),
    ("peter", "Peter Sjöberg", "peter.sjoberg@nordisk.example", "manager"),
    ("nils", "Nils Ekström", "nils.ekstrom@nordisk.example", "member"),
    ("mikael", "Mikael Dahl", "mikael.dahl@nordisk.example", "member"),
]
LOGINS = ["anna", "erik", "sara"]

# (key, name, parent key, head key)
FUNCTIONS = [
    ("ledning", "Ledning", None, "anna"),
    ("forsaljning", "Försäljning", "ledning", "erik"),
    ("innesalj", "Innesälj", "forsaljning", "erik"),
    ("faltsalj", "Fältsälj", "forsaljning", "erik"),
    ("ka", "Key Account", "forsaljning", "erik"),
    ("support", "Säljsupport", "forsaljning", "erik"),
    ("marknad", "Marknad", "ledning", "emma"),
    # Planted: Kundservice has no hat yet; the sales manager leads it.
    ("kundservice", "Kundservice", "ledning", "erik"),
    ("ekonomi", "Ekonomi", "ledning", "peter"),
]

# (key, title, function key, reports-to key, purpose, product)
HATS = [
    (
        "vd",
        "VD",
        "ledning",
        None,
        "Leda bolaget mot lönsam tillväxt och se till att varje funktion har en tydlig hatt.",
        "Ett lönsamt bolag där alla vet vad de ansvarar för.",
    ),
    (
        "saljchef",
        "Försäljningschef",
        "forsaljning",
        "vd",
        "Leda säljorganisationen så att budgeten nås med lönsamma affärer.",
        "Nådd säljbudget, en pålitlig prognos och säljare som vet vad som förväntas av dem.",
    ),
    (
        "saljare",
        "Säljare",
        "faltsalj",
        "saljchef",
        "Vinna nya affärer och utveckla befintliga kunder inom sitt distrikt.",
        "Signerade order med god marginal och nöjda kunder.",
    ),
    (
        "innesaljare",
        "Innesäljare",
        "innesalj",
        "teamledare",
        "Skapa kvalificerade kundmöten åt fältsäljarna.",
        "Bokade, kvalificerade möten i säljarnas kalendrar.",
    ),
    (
        "teamledare",
        "Teamledare innesälj",
        "innesalj",
        "saljchef",
        "Leda och coacha innesäljarna så att mötesmålen nås.",
        "Ett innesäljteam som når sina mötesmål varje vecka.",
    ),
    (
        "kam",
        "Key account manager",
        "ka",
        "saljchef",
        "Behålla och utveckla bolagets största kunder.",
        "Förnyade avtal och växande volymer hos nyckelkunderna.",
    ),
    (
        "support",
        "Säljsupport",
        "support",
        "saljchef",
        "Avlasta säljarna med offerter, order och leveransbevakning.",
        "Korrekta order och leveranser i tid.",
    ),
    (
        "salesops",
        "Säljoperations",
        "forsaljning",
        "saljchef",  # planted: vacant
        "Hålla CRM, provisioner och säljrapporter i ordning.",
        "Ett CRM att lita på och rätt provision i tid.",
    ),
    (
        "marknadschef",
        "Marknadschef",
        "marknad",
        "vd",
        "Fylla säljtratten med leads från rätt målgrupp.",
        "Kvalificerade leads och ett starkt varumärke.",
    ),
    (
        "koordinator",
        "Marknadskoordinator",
        "marknad",
        "marknadschef",
        "",  # planted: no purpose
        "Kampanjer som går ut i tid.",
    ),
    (
        "ekonomichef",
        "Ekonomichef",
        "ekonomi",
        "vd",
        "Säkra bolagets ekonomi, kassaflöde och kreditrisker.",
        "Korrekt bokslut, fakturering och ett friskt kassaflöde.",
    ),
    (
        "kredit",
        "Kreditkontroll",
        "ekonomi",
        "ekonomichef",
        "Begränsa kreditförluster och se till att kunder betalar i tid.",
        "Låga kreditförluster och korta betaltider.",
    ),
]

# (hat key, person key, share)
WEARERS = [
    ("vd", "anna", None),
    ("saljchef", "erik", None),
    ("saljare", "sara", 100),
    ("saljare", "johan", 100),
    ("saljare", "fredrik", 100),
    ("innesaljare", "maria", 100),
    ("innesaljare", "oskar", 80),
    ("teamledare", "oskar", 40),  # planted: Oskar is over 100 %
    ("kam", "karin", 100),
    ("support", "lars", 100),
    ("support", "linda", 50),
    ("marknadschef", "emma", None),
    ("koordinator", "ida", 100),
    ("ekonomichef", "peter", None),
    ("kredit", "nils", 100),
]

AREAS = ["Prospektering", "Kvalificering", "Offert", "Order", "Leverans", "Eftermarknad"]

# (area index, task, {hat key: letters})
TASKS = [
    (
        0,
        "Ta fram målgrupp och idealkund",
        {"saljchef": "A", "marknadschef": "R", "saljare": "C", "innesaljare": "C", "vd": "I"},
    ),
    (0, "Bygga prospektlistor", {"teamledare": "A", "innesaljare": "R", "koordinator": "C"}),
    (0, "Ringa och mejla prospekt", {"teamledare": "A", "innesaljare": "R", "saljchef": "I"}),
    (
        0,
        "Kampanjer och leadsgenerering",
        {"marknadschef": "A", "koordinator": "R", "innesaljare": "I", "saljchef": "I"},
    ),
    (0, "Boka kundmöten", {"teamledare": "A", "innesaljare": "R", "saljare": "I"}),
    (1, "Behovsanalys hos kund", {"saljchef": "A", "saljare": "R", "kam": "R", "support": "C"}),
    (1, "Kvalificera leads", {"teamledare": "A", "innesaljare": "R", "saljare": "C"}),
    (
        1,
        "Uppdatera affärsmöjligheter i CRM",
        {"saljchef": "A", "saljare": "R", "kam": "R", "salesops": "C", "vd": "I"},
    ),
    (
        1,
        "Månadsprognos",
        {"saljchef": "A", "saljare": "R", "kam": "R", "vd": "I", "ekonomichef": "I"},
    ),
    (
        1,
        "Avsluta okvalificerade leads",
        {"teamledare": "A", "innesaljare": "R", "marknadschef": "I"},
    ),
    (2, "Ta fram offert", {"saljare": "AR", "support": "C", "saljchef": "I"}),
    (
        2,
        "Prissättning och rabatter",
        {"saljchef": "A", "ekonomichef": "A", "saljare": "R"},
    ),  # planted: two A's
    (2, "Godkänna avtalsvillkor", {"vd": "A", "saljchef": "R", "ekonomichef": "C"}),
    (2, "Följa upp offerter", {"saljare": "AR", "saljchef": "I"}),
    (2, "Anbud och upphandlingar", {"kam": "AR", "support": "C", "ekonomichef": "C"}),
    (3, "Registrera order", {"saljchef": "A", "support": "R", "ekonomichef": "I"}),
    (3, "Kreditprövning av ny kund", {"ekonomichef": "A", "kredit": "R", "saljare": "I"}),
    (3, "Orderbekräftelse till kund", {"support": "AR", "saljare": "I"}),
    (
        3,
        "Provisionsberäkning",
        {"ekonomichef": "A", "salesops": "R", "saljchef": "C", "saljare": "I"},
    ),
    (3, "Arkivera avtal", {"saljchef": "A", "support": "C", "ekonomichef": "I"}),  # planted: no R
    (4, "Leveransplanering", {"support": "AR", "saljare": "C", "kam": "I"}),
    (4, "Uppstartsmöte med ny kund", {"saljare": "AR", "support": "C"}),
    (4, "Fakturering", {"ekonomichef": "A", "kredit": "R", "support": "I"}),
    (4, "Reklamationer", {"support": "R", "saljare": "C", "saljchef": "I"}),  # planted: no A
    (4, "Leveransuppföljning", {"support": "AR", "saljare": "I"}),
    (5, "Mäta kundnöjdhet", {"marknadschef": "A", "koordinator": "R", "support": "C", "vd": "I"}),
    (5, "Merförsäljning till befintliga kunder", {"saljchef": "A", "kam": "R", "saljare": "R"}),
    (5, "Förnya avtal", {"kam": "AR", "ekonomichef": "C", "saljchef": "I"}),
    (5, "Kundreferenser och kundcase", {"marknadschef": "A", "koordinator": "R", "kam": "C"}),
    (5, "Påminnelser och inkasso", {"ekonomichef": "A", "kredit": "R", "saljare": "I"}),
]

KPIS = {
    "saljchef": [
        ("Orderingång mot budget", "100", "%", "månad"),
        ("Prognossäkerhet", "90", "%", "kvartal"),
        ("Bruttomarginal", "35", "%", "kvartal"),
    ],
    "saljare": [
        ("Orderingång", "1 200 000", "kr", "kvartal"),
        ("Nya kunder", "4", "st", "kvartal"),
        ("Kundmöten", "12", "st", "vecka"),
    ],
    "innesaljare": [("Bokade möten", "10", "st", "vecka"), ("Samtal", "60", "st", "dag")],
    "teamledare": [
        ("Teamets bokade möten", "40", "st", "vecka"),
        ("Andel kvalificerade möten", "70", "%", "månad"),
    ],
    "kam": [("Förnyelsegrad", "95", "%", "år"), ("Tillväxt hos nyckelkunder", "10", "%", "år")],
    "support": [("Offerter inom 24 h", "95", "%", "månad"), ("Felfria order", "99", "%", "månad")],
    "salesops": [
        ("CRM-datakvalitet", "95", "%", "månad"),
        ("Provision i tid", "100", "%", "månad"),
    ],
    "marknadschef": [
        ("Marknadskvalificerade leads", "120", "st", "månad"),
        ("Kostnad per lead", "800", "kr", "månad"),
    ],
}

CHECKLIST = {
    "saljare": [
        "Gå igenom sortimentet och prislistan",
        "Lära dig CRM-rutinerna",
        "Följa med en erfaren säljare på fem kundmöten",
        "Läsa avtalsmallarna",
    ],
    "innesaljare": [
        "Lära dig samtalsmanus",
        "Lära dig kvalificeringsfrågorna",
        "Boka ditt första möte med stöd av teamledaren",
    ],
    "saljchef": ["Gå igenom budget och prognosmodell", "Träffa varje säljare enskilt"],
    "support": ["Lära dig offertverktyget", "Lära dig orderflödet i affärssystemet"],
}

ANNAT_PEOPLE = [
    ("vd", "Olle Annat", "vd@annat.example", "admin"),
    ("saljare", "Greta Annat", "greta@annat.example", "member"),
]


class Command(BaseCommand):
    help = "Load the demo organisations (idempotent) and print the demo sign-ins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="Password for the demo sign-ins (default: generated once)."
        )

    def handle(self, *args, password=None, **options):
        created = not Organisation.objects.filter(slug="nordisk").exists()
        if created and not password:
            password = secrets.token_urlsafe(9)
        with transaction.atomic():
            if created:
                build_nordisk()
            if not Organisation.objects.filter(slug="annat").exists():
                build_annat()
            emails = [p[2] for p in PEOPLE if p[0] in LOGINS] + ["vd@annat.example"]
            changed = set_logins(emails, password)
        self.report(emails, password if changed else None, created)

    def report(self, emails, password, created):
        out = self.stdout
        out.write("")
        out.write(
            self.style.SUCCESS(
                "hatta demo: Nordisk Försäljning AB (/o/nordisk/) and Annat Bolag AB (/o/annat/)"
            )
        )
        roles = {
            "vd@nordisk.example": "admin, the CEO",
            "saljchef@nordisk.example": "manager, head of Försäljning",
            "saljare@nordisk.example": "member, wears Säljare",
            "vd@annat.example": "admin of Annat Bolag AB",
        }
        for email in emails:
            out.write(f"  {email:<28} {roles[email]}")
        if password:
            out.write(f"  password for all of them: {password}")
        else:
            out.write("  password: unchanged (as printed when the demo was first loaded;")
            out.write("  run `make demo DEMO_PASSWORD=...` to set a new one)")
        if not created:
            out.write("  (the demo was already loaded; nothing else changed)")
        out.write("")


def set_logins(emails, password):
    """Create the demo logins; set the password only when one is given or the
    login is new. Returns True when a password was set."""
    changed = False
    for email in emails:
        person = Person.objects.filter(email=email).select_related("user").first()
        user = person.user if person and person.user else User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, name=person.name if person else email)
            user.set_password(password or secrets.token_urlsafe(9))
            user.save()
            changed = changed or bool(password)
        elif password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            changed = True
        elif password:
            changed = True
        for p in Person.objects.filter(email=email, user__isnull=True):
            p.user = user
            p.save(update_fields=["user"])
    return changed


def build_nordisk():
    org = Organisation.objects.create(name="Nordisk Försäljning AB", slug="nordisk", language="sv")
    people = {
        key: Person.objects.create(org=org, name=name, email=email, access=access)
        for key, name, email, access in PEOPLE
    }
    functions = {}
    for i, (key, name, parent, head) in enumerate(FUNCTIONS):
        functions[key] = Function.objects.create(
            org=org, name=name, parent=functions.get(parent), head=people[head], position=i
        )
    hats = {}
    for i, (key, title, function, _reports, purpose, product) in enumerate(HATS):
        hats[key] = Hat.objects.create(
            org=org,
            function=functions[function],
            title=title,
            purpose=purpose,
            product=product,
            position=i,
        )
    for key, _t, _f, reports, *_ in HATS:
        if reports:
            hats[key].reports_to = hats[reports]
            hats[key].save(update_fields=["reports_to"])
    hats[
        "saljchef"
    ].authority = "Sätta säljmål och rabattnivåer upp till 15 %, anställa säljare inom budget."
    hats["saljchef"].save(update_fields=["authority"])
    for key, rows in KPIS.items():
        KPI.objects.bulk_create(
            KPI(hat=hats[key], name=n, target=t, unit=u, period=p, position=i)
            for i, (n, t, u, p) in enumerate(rows)
        )
    for key, items in CHECKLIST.items():
        ChecklistItem.objects.bulk_create(
            ChecklistItem(hat=hats[key], text=text, position=i) for i, text in enumerate(items)
        )
    for hat, person, share in WEARERS:
        Assignment.objects.create(org=org, hat=hats[hat], person=people[person], share=share)
    areas = [Area.objects.create(org=org, name=name, position=i) for i, name in enumerate(AREAS)]
    letters = []
    for i, (area, name, cells) in enumerate(TASKS):
        task = Task.objects.create(org=org, area=areas[area], name=name, position=i)
        for hat, written in cells.items():
            letters += [
                Responsibility(org=org, task=task, hat=hats[hat], letter=c) for c in written
            ]
    Responsibility.objects.bulk_create(letters)
    Task.objects.for_org(org).refresh_status()

    author = people["erik"]
    for hat in hats.values():
        services.publish_hat(
            hat, people["anna"] if hat.title == "VD" else author, "Första versionen."
        )
    for hat_key, person_key, _share in WEARERS:
        services.acknowledge(people[person_key], hats[hat_key])
    # Planted: a new revision of Säljare that Sara has not confirmed yet.
    seller = hats["saljare"]
    ChecklistItem.objects.create(
        hat=seller, text="Hålla CRM uppdaterat efter varje kundmöte", position=10
    )
    services.publish_hat(seller, author, "Lagt till CRM-hygien i checklistan.")
    for key in ("johan", "fredrik"):
        services.acknowledge(people[key], seller)
    add_numbers(org)
    # The demo's people have no real mailboxes: what building it notified them of
    # stays in the app (the bell), and no email goes out for it.
    Notification.objects.filter(org=org).update(email_due=False)
    return org


def build_annat():
    org = Organisation.objects.create(name="Annat Bolag AB", slug="annat", language="sv")
    people = {
        key: Person.objects.create(org=org, name=name, email=email, access=access)
        for key, name, email, access in ANNAT_PEOPLE
    }
    root = Function.objects.create(org=org, name="Ledning", head=people["vd"])
    sales = Function.objects.create(org=org, name="Sälj", parent=root, head=people["vd"])
    vd = Hat.objects.create(org=org, function=root, title="VD", purpose="Leda Annat Bolag.")
    seller = Hat.objects.create(
        org=org, function=sales, title="Säljare", purpose="Sälja Annats tjänster.", reports_to=vd
    )
    Assignment.objects.create(org=org, hat=vd, person=people["vd"])
    Assignment.objects.create(org=org, hat=seller, person=people["saljare"], share=100)
    area = Area.objects.create(org=org, name="Försäljning")
    task = Task.objects.create(org=org, area=area, name="Sälja tjänster")
    Responsibility.objects.bulk_create(
        [
            Responsibility(org=org, task=task, hat=vd, letter="A"),
            Responsibility(org=org, task=task, hat=seller, letter="R"),
        ]
    )
    Task.objects.for_org(org).refresh_status()
    return org
