"""The client's address behind a reverse proxy, and the brute-force limits
keyed on it: through a real proxy process on loopback, with clients at
different loopback addresses (127.0.0.2, 127.0.0.3)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import RequestFactory

from roles.network import client_address

from .conftest import PASSWORD, build_world, make_person
from .loopback import LoopbackClient, free_port

LOGIN = "/accounts/login/"
REAL_USER, ATTACKER = "127.0.0.2", "127.0.0.3"


# The function ------------------------------------------------------------------


def request(remote="203.0.113.9", forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request(forwarded="198.51.100.7")) == "203.0.113.9"


def test_one_trusted_proxy_takes_the_address_it_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent its own header; the proxy appended the address it saw.
    assert client_address(request("127.0.0.1", "10.9.9.9, 198.51.100.7")) == "198.51.100.7"
    assert client_address(request("127.0.0.1", "2001:db8::1")) == "2001:db8::1"


def test_two_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    forwarded = "10.9.9.9, 198.51.100.7, 192.0.2.1"
    assert client_address(request("127.0.0.1", forwarded)) == "198.51.100.7"


def test_missing_or_garbled_header_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request("127.0.0.1")) == "127.0.0.1"
    assert client_address(request("127.0.0.1", "not-an-address")) == "127.0.0.1"
    assert client_address(request("127.0.0.1", " , ")) == "127.0.0.1"


# Behind a real proxy -------------------------------------------------------------


@pytest.fixture
def proxy(live_server):
    """The reverse proxy process in front of the live server; yields its port."""
    port = free_port()
    upstream = live_server.url.rsplit(":", 1)[1]
    script = Path(__file__).with_name("reverse_proxy.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(port), upstream], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_in(client, email, password, headers=None):
    return client.submit(LOGIN, {"login": email, "password": password}, headers)[0]


@pytest.fixture
def behind_proxy(transactional_db, settings, proxy):
    settings.TRUSTED_PROXY_COUNT = 1
    return proxy


def test_an_attacker_cannot_lock_the_real_user_out(behind_proxy):
    build_world()
    attacker = LoopbackClient(behind_proxy, ATTACKER)
    # The attacker even claims to be the real user's address: the proxy appends
    # the address it saw, and only that one is trusted.
    forged = {"X-Forwarded-For": REAL_USER}
    statuses = [sign_in(attacker, "a-member@example.com", "wrong", forged) for _ in range(6)]
    assert statuses[:4] == [200] * 4
    assert statuses[5] == 429  # the attacker's address is locked out of that account
    real_user = LoopbackClient(behind_proxy, REAL_USER)
    assert sign_in(real_user, "a-member@example.com", PASSWORD) == 302


def test_spraying_from_one_address_is_limited(behind_proxy, settings, record_property):
    world = build_world()
    accounts = [
        make_person(world.org, "member", f"user{i}@example.com", f"User {i}").email
        for i in range(40)
    ]
    attacker = LoopbackClient(behind_proxy, ATTACKER)
    started = time.perf_counter()
    statuses = [sign_in(attacker, email, "Sommar2026!") for email in accounts]
    seconds = time.perf_counter() - started
    limit = settings.SIGN_IN_ADDRESS_LIMIT
    # A plain "wrong password" until the address has failed `limit` times.
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert statuses[limit - 1 :] == [429] * (len(accounts) - limit + 1)
    # The right password from the attacker's address is refused too...
    assert sign_in(attacker, accounts[0], PASSWORD) == 429
    # ...while everyone else signs in as usual.
    assert sign_in(LoopbackClient(behind_proxy, REAL_USER), accounts[0], PASSWORD) == 302
    record_property(
        "figure",
        f"spraying: {len(accounts)} accounts from one address, {limit} failed, "
        f"{len(accounts) - limit} refused unchecked ({seconds:.1f} s through the proxy)",
    )
