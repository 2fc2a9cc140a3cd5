"""Run one job's body in this process, with its memory limit (started by the
worker, see roles/jobs.py)."""

import resource

from django.core.management.base import BaseCommand

from roles import jobs


class Command(BaseCommand):
    help = "Run one job (internal: started by the worker)."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)
        parser.add_argument("--memory", type=int, default=0, help="address-space limit, bytes")

    def handle(self, *args, job_id, memory, **options):
        jobs.follow_parent()
        if memory:
            # The libraries are loaded first: the limit is on the job's own work, and a
            # library that fails to load under it would not say "out of memory".
            import openpyxl  # noqa: F401, PLC0415
            import pypdf  # noqa: F401, PLC0415
            import weasyprint  # noqa: PLC0415

            weasyprint.HTML(string="<p>warm-up</p>").render()
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        jobs.execute(job_id)
