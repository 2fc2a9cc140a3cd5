"""The import through its pages in tests: upload, let the job run, read the
preview's data, apply."""

import io

from django.urls import reverse

from roles.models import Job
from roles.views.interchange import IMPORT_PAGES, import_page

from .jobs_helpers import drain


def named(data, name):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def upload(client, org, data, name, page="roles:matrix-import", **extra):
    """POST the file to the import's upload page (the matrix's, or `page`);
    returns the response (a redirect to the import's page)."""
    url = reverse(page, kwargs={"org": org.slug})
    return client.post(url, {"file": named(data, name), **extra})


def job_of(response):
    """The import job a redirect points at."""
    job_id = int(response["Location"].rstrip("/").split("/")[-1])
    return Job.objects.get(pk=job_id)


def page_url(job):
    """The page of an import job of either kind (matrix, numbers)."""
    return import_page(job.org, job)


def apply_url(job):
    name, kwarg = IMPORT_PAGES[job.kind]
    return reverse(name.replace("-preview", "-apply"), kwargs={"org": job.org.slug, kwarg: job.pk})


def previewed(client, org, data, name, **extra):
    """Upload, run the reading job here, and return (job, preview page response)."""
    response = upload(client, org, data, name, **extra)
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    job = job_of(response)
    drain()
    job.refresh_from_db()
    return job, client.get(page_url(job))


def choose(client, job, **fields):
    """POST choices on the preview of `job`; run the new reading job; return it
    and its page."""
    response = client.post(page_url(job), fields)
    assert response.status_code == 302
    new = job_of(response)
    drain()
    new.refresh_from_db()
    return new, client.get(page_url(new))


def apply(client, job, fields=None):
    """Apply the preview of `job`; run the apply job; return it and its page."""
    response = client.post(apply_url(job), fields or {})
    assert response.status_code == 302
    new = job_of(response)
    drain()
    new.refresh_from_db()
    return new, client.get(page_url(new))
