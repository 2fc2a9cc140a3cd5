"""Throughput: signed-in reads of My hats, the hat page and the map of the large
organisation. One sign-in before the run (a password hash costs ~0.5 s), then
every user shares its session cookie and asks as fast as answers come."""

import requests
from locust import HttpUser, constant, events, task

from bench.forms import requests_sign_in
from bench.locust_common import BASE

SESSION = {}


@events.test_start.add_listener
def sign_in_once(environment, **kwargs):
    session = requests_sign_in(
        requests.Session(), environment.host, BASE["member"], BASE["password"]
    )
    SESSION["sessionid"] = session.cookies["sessionid"]


class Reader(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.client.cookies.set("sessionid", SESSION["sessionid"])
        org = BASE["org"]
        self.me, self.map = f"/o/{org}/me/", f"/o/{org}/"
        self.hat = f"/o/{org}/hats/{BASE['member_hat']}/"

    @task
    def my_hats(self):
        self.client.get(self.me, name="me", allow_redirects=False)

    @task
    def hat_page(self):
        self.client.get(self.hat, name="hat", allow_redirects=False)

    @task
    def org_map(self):
        self.client.get(self.map, name="map", allow_redirects=False)
