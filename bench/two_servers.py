"""Two app servers, one database: sign in on A, carry on on B (reads, an edit,
the "saved" message), edit again on A with the CSRF token taken from the
cookie, sign out on B and find A signed out too.

    python -m bench.two_servers http://127.0.0.1:PORT_A http://127.0.0.1:PORT_B BASELINE.json
"""

import json
import sys
import time

import requests

from bench.forms import form_with, requests_sign_in


def main(a, b, baseline):
    with open(baseline) as fh:
        base = json.load(fh)
    org, hat = base["org"], base["contended"][0]
    steps = []

    def check(name, ok, detail=""):
        steps.append((name, bool(ok), detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")

    s = requests.Session()
    requests_sign_in(s, a, base["manager"], base["password"])
    check("signed in on A", True)
    r = s.get(f"{b}/o/{org}/me/", allow_redirects=False, timeout=30)
    check("B knows the session", r.status_code == 200, f"({r.status_code})")

    edit = f"/o/{org}/hats/{hat}/edit/"
    form = form_with(s.get(b + edit, timeout=30).text, "version")
    marker = f"two servers {time.time():.0f}"
    fields = dict(form["fields"]) | {"notes": marker + " (B)"}
    r = s.post(b + edit, data=fields, allow_redirects=False, timeout=30)
    check("edit saved on B", r.status_code == 302, f"({r.status_code})")
    r = s.get(a + edit, timeout=30)
    check("A shows B's message", 'class="messages"' in r.text)
    form = form_with(r.text, "version")
    check("A shows B's edit", form and form["fields"].get("notes") == marker + " (B)")

    # A second edit on A, from a form read on B, with the token from the cookie.
    form = form_with(s.get(b + edit, timeout=30).text, "version")
    fields = dict(form["fields"]) | {
        "notes": marker + " (A)",
        "csrfmiddlewaretoken": s.cookies["csrftoken"],
    }
    r = s.post(a + edit, data=fields, allow_redirects=False, timeout=30)
    check(
        "edit saved on A with the cookie's CSRF token", r.status_code == 302, f"({r.status_code})"
    )
    form = form_with(s.get(b + edit, timeout=30).text, "version")
    check("B shows A's edit", form and form["fields"].get("notes") == marker + " (A)")

    logout = form_with(s.get(f"{b}/o/{org}/me/", timeout=30).text, "csrfmiddlewaretoken")
    r = s.post(f"{b}/accounts/logout/", data=logout["fields"], allow_redirects=False, timeout=30)
    check("signed out on B", r.status_code in (200, 302), f"({r.status_code})")
    r = s.get(f"{a}/o/{org}/me/", allow_redirects=False, timeout=30)
    check(
        "A signed out too",
        r.status_code == 302 and "/accounts/login/" in r.headers.get("Location", ""),
    )

    failed = [name for name, ok, _ in steps if not ok]
    print(f"two_servers steps={len(steps)} failed={len(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
