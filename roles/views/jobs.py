"""The organisation's jobs: the list, one job's page (live progress through htmx
polling), Cancel, and the result download. Every job is looked up within the
caller's organisation, so another organisation's job answers 404."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import audit, jobs
from ..access import deny_unless, get_in_org, org_view
from ..models import AuditEvent, Job
from ..models.jobs import job_storage
from .downloads import content_disposition
from .interchange import import_page

RECENT = 50


def visible_jobs(access):
    """Everyone sees the organisation's jobs, except imports (admins only: they
    carry the uploaded data)."""
    qs = Job.objects.for_org(access.org).select_related("started_by")
    if not access.can_import:
        qs = qs.exclude(kind__in=jobs.IMPORT_KINDS)
    return qs


@require_safe
@org_view()
def job_list(request):
    # An import's data (its preview) can be large and the list shows none of it.
    rows = list(visible_jobs(request.access).defer("data", "params")[:RECENT])
    return render(request, "roles/jobs.html", {"jobs": rows, "nav": "jobs"})


@require_safe
@org_view()
def job_detail(request, job_id):
    job = get_in_org(visible_jobs(request.access), request.access, pk=job_id)
    if job.kind in jobs.IMPORT_KINDS and not request.htmx:
        # An import's page is its preview (roles/views/interchange.py).
        return redirect(import_page(request.access.org, job))
    template = "roles/job_status.html" if request.htmx else "roles/job_detail.html"
    return render(request, template, {"job": job, "nav": "jobs"})


@require_POST
@org_view()
def job_cancel(request, job_id):
    job = get_in_org(visible_jobs(request.access), request.access, pk=job_id)
    deny_unless(job.started_by_id == request.access.person.id or request.access.is_admin)
    jobs.cancel(job)
    return redirect("roles:job-detail", org=request.access.org.slug, job_id=job.pk)


@require_safe
@org_view()
def job_download(request, job_id):
    job = get_in_org(visible_jobs(request.access), request.access, pk=job_id)
    if job.state != Job.DONE or not job.result:
        raise Http404(_("This job has no result."))
    try:
        handle = job_storage().open(job.result.name, "rb")
    except FileNotFoundError as exc:
        raise Http404(_("This result has been deleted.")) from exc
    audit.record(AuditEvent.EXPORT, request, org=request.access.org, detail=job.result_name)
    response = FileResponse(handle)
    response["Content-Disposition"] = content_disposition(job.result_name)
    return response
