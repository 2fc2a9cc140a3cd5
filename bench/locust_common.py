"""Shared by the locust files: the baseline written by `load_check prepare`,
signing in through the real sign-in form, and a count of server errors."""

import json
import os

from locust import events

from bench.forms import (
    form_with,
    requests_sign_in,  # noqa: F401 - re-exported for the locust files
)

BASE = json.load(open(os.environ["LOAD_BASELINE"]))  # noqa: SIM115 - read once at import
SERVER_ERRORS = {"count": 0}


@events.request.add_listener
def count_server_errors(response=None, **kwargs):
    if response is not None and getattr(response, "status_code", 0) >= 500:
        SERVER_ERRORS["count"] += 1


@events.quitting.add_listener
def report_server_errors(environment, **kwargs):
    print(f"server_errors={SERVER_ERRORS['count']}")
    if SERVER_ERRORS["count"]:
        environment.process_exit_code = 1


def sign_in(client, email, password):
    """GET the sign-in page for the CSRF token, POST the form; True when signed in."""
    page = client.get("/accounts/login/", name="sign-in form")
    form = form_with(page.text, "csrfmiddlewaretoken")
    fields = dict(form["fields"]) if form else {}
    fields.update({"login": email, "password": password})
    with client.post(
        "/accounts/login/", data=fields, allow_redirects=False, name="sign in", catch_response=True
    ) as response:
        if response.status_code != 302:
            response.failure(f"sign-in answered {response.status_code}")
            return False
    return True
