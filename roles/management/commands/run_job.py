"""Run one job's body in this process, with its memory limit (started by the
worker, see roles/jobs.py)."""

import os
import resource
import threading
import time

from django.core.management.base import BaseCommand

from roles import jobs


def exit_with_parent(parent):
    """A worker killed with kill -9 must not leave its child working on."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(3)


class Command(BaseCommand):
    help = "Run one job (internal: started by the worker)."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)
        parser.add_argument("--memory", type=int, default=0, help="address-space limit, bytes")

    def handle(self, *args, job_id, memory, **options):
        threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
        if memory:
            # The libraries are loaded first: the limit is on the job's own work, and a
            # library that fails to load under it would not say "out of memory".
            import openpyxl  # noqa: F401, PLC0415
            import pypdf  # noqa: F401, PLC0415
            import weasyprint  # noqa: PLC0415

            weasyprint.HTML(string="<p>warm-up</p>").render()
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        jobs.execute(job_id)
