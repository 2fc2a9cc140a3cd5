"""Signed-in users at work: each signs in (the real form, the production
hasher), reads hats and the map, edits hats that everyone else edits too
(saved or conflict, both correct answers) and probes another organisation
(must be 404). Saved edits are written to $LOAD_EDITS for `load_check verify`."""

import itertools
import json
import os
import random

from locust import HttpUser, between, events, task

from bench.forms import form_with
from bench.locust_common import BASE, sign_in

EDITS = {"saved": [], "conflicts": 0}
SEQ = itertools.count()


@events.quitting.add_listener
def write_edits(environment, **kwargs):
    with open(os.environ["LOAD_EDITS"], "w") as fh:
        json.dump(EDITS, fh)
    print(f"saved_edits={len(EDITS['saved'])} conflicts={EDITS['conflicts']}")


class Manager(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self):
        self.org = BASE["org"]
        sign_in(self.client, BASE["manager"], BASE["password"])

    @task(3)
    def read_hat(self):
        hat = random.choice([BASE["member_hat"], *BASE["contended"]])
        self.client.get(f"/o/{self.org}/hats/{hat}/", name="hat", allow_redirects=False)

    @task(1)
    def read_map(self):
        self.client.get(f"/o/{self.org}/", name="map", allow_redirects=False)

    @task(4)
    def edit_hat(self):
        hat = random.choice(BASE["contended"])
        url = f"/o/{self.org}/hats/{hat}/edit/"
        page = self.client.get(url, name="hat editor", allow_redirects=False)
        form = form_with(page.text, "version") if page.status_code == 200 else None
        if form is None:
            return
        marker = f"load edit {os.getpid()}-{next(SEQ)}"
        fields = dict(form["fields"])
        fields["notes"] = marker
        with self.client.post(
            url, data=fields, name="hat save", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                EDITS["saved"].append([hat, marker])
            elif response.status_code == 409:
                EDITS["conflicts"] += 1
                response.success()
            else:
                response.failure(f"save answered {response.status_code}")

    @task(1)
    def probe_other_org(self):
        with self.client.get(
            f"/o/{BASE['other_org']}/", name="other org (404)", catch_response=True
        ) as response:
            if response.status_code == 404:
                response.success()
            else:
                response.failure(f"other organisation answered {response.status_code}")
