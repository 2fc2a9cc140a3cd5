"""When the database is down or read-only, pages answer 503 with Retry-After
and say so in both languages; when it is back, pages work again without a
restart of the app."""

from unittest import mock

import pytest
from django.db import InterfaceError, InternalError, OperationalError, connection
from django.test import Client

from roles import models as m

from .conftest import build_world
from .loopback import LoopbackClient

SWEDISH = "Tillfälligt otillgänglig"
ENGLISH = "Temporarily unavailable"


def read_only_error():
    """What Django raises when PostgreSQL refuses a write in a read-only transaction."""

    class ReadOnlySqlTransaction(Exception):
        pgcode = "25006"

    try:
        raise ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")
    except ReadOnlySqlTransaction as cause:
        error = InternalError(str(cause))
        error.__cause__ = cause
        return error


def assert_unavailable(status, headers, html):
    assert status == 503
    assert int(headers["Retry-After"]) > 0
    assert SWEDISH in html and ENGLISH in html
    assert "Traceback" not in html


@pytest.mark.swedish
@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("could not connect to server: Connection refused"),
        InterfaceError("connection already closed"),
        OperationalError("attempt to write a readonly database"),
        read_only_error(),
    ],
)
def test_database_errors_answer_503(world, exc):
    client = Client(raise_request_exception=False)
    client.force_login(world.member.user)
    with mock.patch("roles.access.resolve", side_effect=exc):
        response = client.get(f"/o/{world.org.slug}/")
    assert_unavailable(response.status_code, response, response.text)
    assert '<html lang="sv">' in response.text


def test_other_errors_stay_500(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.member.user)
    with mock.patch("roles.access.resolve", side_effect=InternalError("a bug")):
        response = client.get(f"/o/{world.org.slug}/")
    assert response.status_code == 500
    assert "Retry-After" not in response


# A real PostgreSQL -------------------------------------------------------------
# Only this test's own database is touched: made read-only, then closed to new
# connections while its existing ones are ended (as a restart does), then opened
# again. The server and every other database go on as they were.


@pytest.fixture
def control():
    """Run SQL as the test's role on the `postgres` database, beside the test database."""
    import psycopg2

    params = connection.settings_dict
    name = params["NAME"]
    conn = psycopg2.connect(
        dbname="postgres",
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
    )
    conn.autocommit = True

    def run(sql, end_connections=False):
        with conn.cursor() as cursor:
            cursor.execute(sql.replace("DB", f'"{name}"'))
            if end_connections:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )

    try:
        yield run
    finally:
        run("ALTER DATABASE DB WITH ALLOW_CONNECTIONS true")
        run("ALTER DATABASE DB RESET default_transaction_read_only")
        conn.close()
        connection.close()  # the test's own connection was ended too


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real PostgreSQL outage")
def test_read_only_and_unreachable_database_then_recovery(
    transactional_db, live_server, control, record_property
):
    world = build_world()
    signed_in = Client()
    signed_in.force_login(world.manager.user)
    client = LoopbackClient(int(live_server.url.rsplit(":", 1)[1]))
    client.cookies["sessionid"] = signed_in.cookies["sessionid"].value
    page, new_area = f"/o/{world.org.slug}/", f"/o/{world.org.slug}/matrix/areas/new/"
    assert client.get(page)[0] == 200

    control("ALTER DATABASE DB SET default_transaction_read_only = on", end_connections=True)
    assert client.get(page)[0] == 200  # reading still works
    assert_unavailable(*client.submit(new_area, {"name": "Under underhåll"}))

    control("ALTER DATABASE DB RESET default_transaction_read_only")
    assert client.submit(new_area, {"name": "Efter underhåll"})[0] == 302

    control("ALTER DATABASE DB WITH ALLOW_CONNECTIONS false", end_connections=True)
    refused = [client.get(page) for _ in range(3)]
    for response in refused:
        assert_unavailable(*response)

    control("ALTER DATABASE DB WITH ALLOW_CONNECTIONS true")
    assert client.get(page)[0] == 200
    connection.close()  # the test's own connection was ended with the others
    names = set(m.Area.objects.for_org(world.org).values_list("name", flat=True))
    assert "Efter underhåll" in names and "Under underhåll" not in names
    record_property("figure", "outage: read-only and unreachable answered 503, recovered: yes")
