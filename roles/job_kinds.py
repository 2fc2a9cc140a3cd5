"""What each kind of job does, given the Job row and a progress callback.

Each runner returns the keyword arguments of `jobs.finish`: a result file
(`content`, `filename`) or `data`. Runners read the organisation's data as it is
when they run; the request that started them only checked access."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .interchange import backup, exporter, handbook, import_job, numbers
from .interchange.reader import SheetError
from .jobs import JobFailed
from .models import Function, Job
from .services import numbers as services


def run_handbook(job, progress):
    function = None
    if job.params.get("function"):
        function = Function.objects.for_org(job.org).filter(pk=job.params["function"]).first()
    content = handbook.render_pdf_in_parts(job.org, function, progress)
    suffix = f"-{function.pk}" if function else ""
    return {"content": content, "filename": f"{job.org.slug}-handbook{suffix}.pdf"}


def _matrix(job, progress):
    progress(0, 2, force=True)
    filters = exporter.parse_filters(job.org, job.params.get("filters") or {})
    matrix = exporter.build(job.org, filters)
    progress(1, 2, force=True)
    return matrix


def run_xlsx(job, progress):
    content = exporter.to_xlsx(_matrix(job, progress))
    return {"content": content, "filename": f"{job.org.slug}-matrix.xlsx"}


def run_csv(job, progress):
    content = exporter.to_csv(_matrix(job, progress), delimiter=job.params.get("delimiter", ","))
    return {"content": content, "filename": f"{job.org.slug}-matrix.csv"}


def run_backup(job, progress):
    progress(0, 1, force=True)
    document = backup.export_org(job.org)
    content = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    return {"content": content.encode("utf-8"), "filename": f"{job.org.slug}-backup.json"}


MATRIX_CHANGED = gettext_lazy(
    "The matrix changed while the import was being written; nothing was imported. Try again."
)
NUMBERS_CHANGED = gettext_lazy(
    "The numbers changed while the import was being saved; nothing was saved. Try again."
)


def _import(runner, changed=MATRIX_CHANGED):
    def run(job, progress):
        try:
            return runner(job, progress)
        except SheetError as exc:
            raise JobFailed(str(exc)) from exc
        except services.Refused as exc:  # a value of the numbers import
            raise JobFailed(
                _("Nothing was saved: %(reason)s Upload the file again.") % {"reason": exc}
            ) from exc
        except numbers.NotApplied as exc:
            raise JobFailed(str(exc)) from exc
        except (IntegrityError, DatabaseError) as exc:
            raise JobFailed(str(changed)) from exc
        except import_job.UploadGone as exc:
            raise JobFailed(_("The uploaded file is no longer kept. Upload it again.")) from exc

    return run


RUNNERS = {
    Job.IMPORT_READ: _import(import_job.run_read),
    Job.IMPORT_APPLY: _import(import_job.run_apply),
    Job.NUMBERS_READ: _import(numbers.run_read, NUMBERS_CHANGED),
    Job.NUMBERS_APPLY: _import(numbers.run_apply, NUMBERS_CHANGED),
    Job.HANDBOOK: run_handbook,
    Job.XLSX: run_xlsx,
    Job.CSV: run_csv,
    Job.BACKUP: run_backup,
}
