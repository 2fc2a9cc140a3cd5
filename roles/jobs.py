"""Background jobs: starting one from a request, running it in a worker with its
limits, and the worker's housekeeping (heartbeat, stalled jobs, old results).

A request only writes a Job row and enqueues `roles.tasks.run_job` (fast, cannot
fail on anything slow). The worker claims the job and, by default, runs its body
in a child process (`manage.py run_job <id>`) whose address space is capped with
`resource.setrlimit` and whose wall-clock time the worker watches: a job over
its limits ends as failed and the worker takes the next one. The worker writes a
heartbeat on the job every second while the child runs, so a job whose worker
was killed is noticed by any other worker (or the restarted one) and retried
once, then failed."""

import hashlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from .models import Job, Organisation, WorkerBeat
from .models.jobs import job_storage

log = logging.getLogger(__name__)

MANAGE = Path(settings.BASE_DIR) / "manage.py"
RETRIES_AFTER_STALL = 1


class Cancelled(Exception):
    """The user cancelled the job while it ran."""


class JobFailed(Exception):
    """A failure whose message is meant for the user."""


# Starting ----------------------------------------------------------------------


def start(access, kind, params=None, fingerprint="", data=None, reuse=True):
    """The job for this request: a finished one with the same inputs (served again
    at once), the running one of the same kind (joined), or a new one. Returns
    (job, created). The organisation row is locked so that two requests at once
    agree on one job."""
    from .tasks import run_job  # noqa: PLC0415 - tasks import this module

    params = params or {}
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=access.org.pk).first()
        same = Job.objects.filter(org=access.org, kind=kind)
        running = same.filter(state__in=Job.ACTIVE).first()
        if running is not None and kind in JOIN_KINDS:
            return running, False
        family = import_family(kind)
        if family:
            # One import of a kind at a time: the caller is told about the running one.
            running = Job.objects.filter(
                org=access.org, kind__in=family, state__in=Job.ACTIVE
            ).first()
            if running is not None:
                return running, False
        if reuse and fingerprint:
            done = (
                same.filter(state=Job.DONE, params=params, fingerprint=fingerprint)
                .exclude(result="")
                .first()
            )
            if done is not None:
                return done, False
        job = Job.objects.create(
            org=access.org,
            started_by=access.person,
            kind=kind,
            params=params,
            fingerprint=fingerprint,
            data=data,
        )
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    return job, True


# One at a time per organisation: a second request joins the running job.
JOIN_KINDS = {Job.HANDBOOK, Job.XLSX, Job.CSV, Job.BACKUP}
# Reading and applying an import: one of either at a time per organisation and
# family (a matrix import does not hold up this week's numbers, nor the reverse).
MATRIX_IMPORT_KINDS = (Job.IMPORT_READ, Job.IMPORT_APPLY)
NUMBERS_IMPORT_KINDS = (Job.NUMBERS_READ, Job.NUMBERS_APPLY)
# Jobs of an upload: admins' only, the upload deleted with them.
IMPORT_KINDS = MATRIX_IMPORT_KINDS + NUMBERS_IMPORT_KINDS


def import_family(kind):
    """The import kinds that take turns with `kind` (empty: not an import)."""
    return next((f for f in (MATRIX_IMPORT_KINDS, NUMBERS_IMPORT_KINDS) if kind in f), ())


def cancel(job):
    """Ask a job to stop: a waiting one stops at once, a running one within a
    second (an import's save, once running, is let finish: Job.can_cancel)."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk, state=Job.QUEUED).update(
        state=Job.CANCELLED, finished=now, cancel_requested=True
    )
    Job.objects.filter(pk=job.pk, state=Job.RUNNING).exclude(kind__in=Job.ONE_TRANSACTION).update(
        cancel_requested=True
    )


# Running (in the worker) -----------------------------------------------------------


def supervise(job_id):
    """Run job `job_id` if it is still waiting: in a child process with the kind's
    limits, or inline when JOBS_IN_CHILD is off."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=Job.QUEUED, cancel_requested=False).update(
        state=Job.RUNNING, started=now, heartbeat=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return
    if not settings.JOBS_IN_CHILD:
        execute(job_id)
        return
    job = Job.objects.get(pk=job_id)
    limits = settings.JOB_LIMITS[job.kind]
    connections.close_all()  # the child opens its own connection
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [
            sys.executable,
            str(MANAGE),
            "run_job",
            str(job_id),
            # A hard cap on the address space as a backstop; the resident memory is
            # watched below, so that going over it gives a clear message.
            f"--memory={max(2 * limits['memory'], limits['memory'] + 2**29)}",
        ],
        env=os.environ.copy(),
    )
    outcome = watch(child, job_id, limits)
    if outcome is None and child.returncode != 0:
        outcome = (
            Job.FAILED,
            _("This job stopped unexpectedly (exit status %(code)s).") % {"code": child.returncode},
        )
    if outcome is not None:
        Job.objects.filter(pk=job_id, state=Job.RUNNING).update(
            state=outcome[0], error=outcome[1], finished=timezone.now()
        )


def resident_bytes(pid):
    """The resident memory of process `pid` (Linux), or 0 when unknown."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def watch(child, job_id, limits, tick=0.25):
    """Wait for the child, checking its memory every tick and, every second,
    writing the heartbeat and looking for Cancel and the time limit. Returns
    (state, message) when the child was stopped, else None."""
    deadline = time.monotonic() + limits["seconds"]
    last_beat = time.monotonic()
    outcome = None
    while outcome is None:
        try:
            child.wait(timeout=tick)
            return None
        except subprocess.TimeoutExpired:
            pass
        if resident_bytes(child.pid) > limits["memory"]:
            outcome = (
                Job.FAILED,
                _("This job needed more memory than its limit of %(mb)s MB and was stopped.")
                % {"mb": limits["memory"] // 2**20},
            )
        elif time.monotonic() - last_beat >= 1:
            last_beat = time.monotonic()
            Job.objects.filter(pk=job_id, state=Job.RUNNING).update(heartbeat=timezone.now())
            if Job.objects.filter(pk=job_id, cancel_requested=True).exists():
                outcome = (Job.CANCELLED, "")
            elif time.monotonic() > deadline:
                outcome = (
                    Job.FAILED,
                    _("This job took longer than its limit of %(seconds)s seconds and was stopped.")
                    % {"seconds": limits["seconds"]},
                )
    child.send_signal(signal.SIGKILL)
    child.wait()
    return outcome


def exit_with_parent(parent):
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(3)


def follow_parent():
    """End this process when its parent ends: a worker killed with kill -9 must
    not leave its job's process working on, nor a job's process its helpers."""
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()


class Progress:
    """Writes "done of total" on the job (at most a few times a second) and raises
    Cancelled when the user asked to stop."""

    def __init__(self, job_id, every=0.5):
        self.job_id = job_id
        self.every = every
        self.last = 0.0

    def __call__(self, done, total, force=False):
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        Job.objects.filter(pk=self.job_id).update(done=done, total=total, heartbeat=timezone.now())
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise Cancelled


def execute(job_id):
    """The body of a job, in whatever process runs it: builds the result and
    records the outcome. MemoryError (the child's address-space cap) and any
    other error end the job as failed with a message for the user."""
    from . import job_kinds  # noqa: PLC0415 - heavy imports (WeasyPrint, openpyxl)

    job = Job.objects.select_related("org", "started_by").get(pk=job_id)
    progress = Progress(job.pk)
    language = job.params.get("lang") or job.org.language
    try:
        with override(language):
            outcome = job_kinds.RUNNERS[job.kind](job, progress)
    except Cancelled:
        finish(job, Job.CANCELLED)
    except MemoryError:
        limit = settings.JOB_LIMITS[job.kind]["memory"] // 2**20
        finish(
            job,
            Job.FAILED,
            error=_("This job needed more memory than its limit of %(mb)s MB and was stopped.")
            % {"mb": limit},
        )
    except JobFailed as exc:
        finish(job, Job.FAILED, error=str(exc))
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        finish(job, Job.FAILED, error=_("Something went wrong while running this job."))
    else:
        finish(job, Job.DONE, **outcome)


def finish(job, state, error="", content=None, filename="", data=None):
    """Store the result file (through the job storage) and the final state, unless
    the job was cancelled meanwhile."""
    fields = {"state": state, "error": error, "finished": timezone.now()}
    if content is not None:
        stored = job_storage().save(f"{job.org_id}/{job.pk}-{filename}", ContentFile(content))
        fields.update(result=stored, result_name=filename)
    if data is not None:
        fields["data"] = data
    if state == Job.DONE:
        fields["done"] = F("total")
    updated = Job.objects.filter(pk=job.pk, state=Job.RUNNING, cancel_requested=False).update(
        **fields
    )
    if not updated and state != Job.CANCELLED:
        Job.objects.filter(pk=job.pk, state=Job.RUNNING).update(
            state=Job.CANCELLED, finished=timezone.now()
        )
        if "result" in fields:
            job_storage().delete(fields["result"])


# Housekeeping (a thread of every worker) -------------------------------------------


def beat(worker_id):
    """Record that this worker is alive."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen": timezone.now(), "host": socket.gethostname()[:200], "pid": os.getpid()},
    )


def reap_stalled():
    """Jobs marked running whose worker has shown no sign of life for
    JOB_STALE_SECONDS: waiting again (once), then failed. Conditional updates, so
    several workers reaping at once act on each job once."""
    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415

    from .tasks import run_job  # noqa: PLC0415

    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    stalled = Job.objects.filter(state=Job.RUNNING, heartbeat__lt=cutoff)
    reaped = 0
    for job in stalled:
        if job.task_id:
            # The task row of the dead worker would otherwise stay "running".
            DBTaskResult.objects.filter(id=job.task_id, status="RUNNING").update(
                status="FAILED", finished_at=timezone.now()
            )
        mine = Job.objects.filter(pk=job.pk, state=Job.RUNNING, heartbeat=job.heartbeat)
        if job.attempts <= RETRIES_AFTER_STALL and not job.cancel_requested:
            if mine.update(state=Job.QUEUED, heartbeat=None, done=0):
                result = run_job.enqueue(job.pk)
                Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
                reaped += 1
        elif mine.update(
            state=Job.FAILED,
            finished=timezone.now(),
            error=_("The worker running this job stopped. Start the job again."),
        ):
            reaped += 1
    return reaped


def prune(now=None):
    """Delete finished jobs (and their files) older than JOB_RETENTION_DAYS."""
    now = now or timezone.now()
    old = Job.objects.filter(
        finished__lt=now - timedelta(days=settings.JOB_RETENTION_DAYS)
    ).exclude(state__in=Job.ACTIVE)
    count = 0
    for job in old.iterator():
        if job.result:
            job_storage().delete(job.result.name)
        if job.kind in IMPORT_KINDS and job.params.get("upload"):
            job_storage().delete(job.params["upload"])  # the uploaded sheet
        job.delete()
        count += 1
    WorkerBeat.objects.filter(seen__lt=now - timedelta(days=1)).delete()
    return count


def worker_seen():
    """When any worker was last seen, or None."""
    latest = WorkerBeat.objects.order_by("-seen").values_list("seen", flat=True).first()
    return latest


# Inputs of a result ------------------------------------------------------------------


def inputs_fingerprint(org):
    """A digest of what the handbook and the exports are made from: any hat
    revision or edit, matrix change, function, task, wearer or person change
    gives another digest. A handful of aggregate queries, whatever the size."""
    from django.db.models import Count, Max, Sum  # noqa: PLC0415
    from django.db.models.functions import Length  # noqa: PLC0415

    from .models import (  # noqa: PLC0415
        KPI,
        Area,
        Assignment,
        CellChange,
        ChecklistItem,
        Function,
        Hat,
        Person,
        Responsibility,
        Task,
    )

    def agg(qs, **extra):
        return sorted(qs.aggregate(n=Count("pk"), top=Max("pk"), **extra).items())

    parts = [
        agg(Hat.objects.for_org(org), at=Max("updated"), rev=Sum("revision")),
        agg(Function.objects.for_org(org), names=Sum(Length("name")), pos=Sum("position")),
        list(Function.objects.for_org(org).values_list("id", "parent_id", "head_id")),
        agg(Area.objects.for_org(org), names=Sum(Length("name")), pos=Sum("position")),
        agg(Task.objects.for_org(org), names=Sum(Length("name")), pos=Sum("position")),
        agg(Responsibility.objects.for_org(org), change=Max("task_id")),
        agg(CellChange.objects.for_org(org)),
        agg(Assignment.objects.for_org(org), ended=Count("ended")),
        agg(Person.objects.for_org(org), names=Sum(Length("name"))),
        agg(KPI.objects.filter(hat__org=org)),
        agg(ChecklistItem.objects.filter(hat__org=org)),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()
