"""Print an organisation's hatting health, for people (text) and scripts (json):
`manage.py health nordisk --format json`."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from roles import health
from roles.models import Organisation


class Command(BaseCommand):
    help = "Print the hatting health checks of one organisation."

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG_SLUG")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, org, format, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug {org!r}.")
        with translation.override(organisation.language):
            result = health.health_of(organisation)
            if format == "json":
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
                return
            self.stdout.write(
                f"{organisation.name}: {result.score:.0%} ({result.passing} / {result.total})"
            )
            for check in result.checks:
                mark = "ok " if check.ok else "GAP"
                self.stdout.write(f"{mark} {check.label}: {check.passing} / {check.total}")
                for label, offenders in check.grouped():
                    indent = "    "
                    if label:
                        self.stdout.write(f"    {label}:")
                        indent = "      "
                    for o in offenders:
                        self.stdout.write(f"{indent}- {o.label} [{o.kind} {o.id}]")
