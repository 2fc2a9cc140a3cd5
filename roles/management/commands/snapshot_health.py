"""Store today's hatting score of every organisation (or the ones named), for
the trend on the map. Cron-friendly: run it daily; a second run the same day
updates that day's row instead of adding one."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roles import health
from roles.models import Organisation


class Command(BaseCommand):
    help = "Store today's hatting health snapshot (one per organisation and day)."

    def add_arguments(self, parser):
        parser.add_argument("orgs", nargs="*", metavar="ORG_SLUG")

    def handle(self, orgs, **options):
        qs = Organisation.objects.order_by("slug")
        if orgs:
            qs = qs.filter(slug__in=orgs)
            missing = sorted(set(orgs) - set(qs.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No organisation with slug {', '.join(missing)}.")
        today = timezone.localdate()
        for org in qs:
            snap = health.save_snapshot(org, today)
            if options["verbosity"] > 0:
                self.stdout.write(f"{org.slug} {today}: {snap.score:.0%}")
