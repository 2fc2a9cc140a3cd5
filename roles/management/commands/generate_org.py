"""Generate a large, realistic organisation to try the pages at scale:
`manage.py generate_org stor --size L`."""

import time

from django.core.management.base import BaseCommand, CommandError

from bench.generate import PASSWORD, SIZES, analyze, generate_size, logins
from roles.models import Organisation


class Command(BaseCommand):
    help = "Generate an organisation of size S, M, L or XL with three known logins."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--size", choices=sorted(SIZES), default="M")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--name", default=None)
        parser.add_argument("--password", default=PASSWORD)
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing if the organisation exists."
        )

    def handle(self, slug, size, seed, name, password, if_missing, **options):
        if Organisation.objects.filter(slug=slug).exists():
            if if_missing:
                self.stdout.write(f"Organisation {slug!r} exists; left as it is.")
                return
            raise CommandError(f"Organisation {slug!r} already exists.")
        started = time.perf_counter()
        org = generate_size(slug, size, seed=seed, name=name, password=password)
        analyze()
        people, functions, hats, tasks = SIZES[size]
        known = logins(slug)
        self.stdout.write(
            f"{org.name} (/o/{slug}/): {people} people, {functions} functions, {hats} hats, "
            f"{tasks} tasks in {time.perf_counter() - started:.1f} s"
        )
        for role in ("admin", "manager", "member"):
            self.stdout.write(f"  {role}: {getattr(known, role)}")
        self.stdout.write(f"  password: {password}")
