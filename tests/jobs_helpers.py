"""Running jobs in tests: queued tasks run in this process (`drain`), or a real
`manage.py worker` process on the test database (`WorkerProcess`)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection
from django_tasks_db.models import DBTaskResult

from roles.models import Job
from roles.models.jobs import job_storage

ROOT = Path(__file__).resolve().parent.parent


def drain():
    """Run every task that is due, here and now, as a worker would (tasks they
    queue run too, if due). Returns the number run."""
    count = 0
    while row := DBTaskResult.objects.ready().order_by("enqueued_at").first():
        DBTaskResult.objects.filter(pk=row.pk).update(status="SUCCESSFUL")
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        count += 1
    return count


def database_url():
    """The URL of the test database this process uses, for a worker process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """`manage.py worker` against the test database (tests using it need
    transactional_db, so that the worker sees their rows)."""

    def __init__(self, name="w1", **env):
        self.name = name
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "WORKER_BEAT_SECONDS": "0.5",
            "JOBS_IN_CHILD": "1",
            **{k: str(v) for k, v in env.items()},
        }
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval=0.2",
                f"--worker-id={self.name}",
                "--verbosity=0",
            ],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """kill -9 the worker alone (its job's child is left to notice)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def wait_for(predicate, timeout=90, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"gave up waiting after {timeout} s")


def result_bytes(job):
    with job_storage().open(job.result.name, "rb") as handle:
        return handle.read()


def job_state(job_id):
    return Job.objects.values_list("state", flat=True).get(pk=job_id)
