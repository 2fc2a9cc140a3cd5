"""A burst of truly simultaneous edits: N browsers open the same hat's editor
at the same version, then all save at once. Exactly one may win; the others
must get the conflict view (409). Saved edits are added to EDITS.json for
`load_check verify`.

    python -m bench.contend http://127.0.0.1:PORT BASELINE.json EDITS.json [rounds] [browsers]
"""

import json
import sys
import threading
import time

import requests

from bench.forms import form_with, requests_sign_in


def main(host, baseline, edits_path, rounds=3, browsers=8):
    rounds, browsers = int(rounds), int(browsers)
    with open(baseline) as fh:
        base = json.load(fh)
    try:
        with open(edits_path) as fh:
            edits = json.load(fh)
    except FileNotFoundError:
        edits = {"saved": [], "conflicts": 0}
    sessions = [
        requests_sign_in(requests.Session(), host, base["manager"], base["password"])
        for _ in range(browsers)
    ]
    hat = base["contended"][0]
    url = f"{host}/o/{base['org']}/hats/{hat}/edit/"
    bad = 0
    for r in range(rounds):
        forms, answers = [None] * browsers, [None] * browsers
        opened, go = threading.Barrier(browsers), threading.Barrier(browsers)

        def browser(i, r=r, forms=forms, answers=answers, opened=opened, go=go):
            forms[i] = form_with(sessions[i].get(url, timeout=120).text, "version")
            opened.wait()
            fields = dict(forms[i]["fields"]) | {"notes": f"burst {time.time():.0f} {r}-{i}"}
            go.wait()
            answer = sessions[i].post(url, data=fields, allow_redirects=False, timeout=120)
            answers[i] = (answer.status_code, fields["notes"])

        threads = [threading.Thread(target=browser, args=(i,)) for i in range(browsers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = [code for code, _ in answers]
        saved = [note for code, note in answers if code == 302]
        edits["saved"] += [[hat, note] for note in saved]
        edits["conflicts"] += codes.count(409)
        ok = len(saved) == 1 and codes.count(409) == browsers - 1
        bad += not ok
        print(f"burst {r + 1}: {browsers} saves at one version → {sorted(codes)}")
    with open(edits_path, "w") as fh:
        json.dump(edits, fh)
    print(f"bursts={rounds} browsers={browsers} wrong_outcomes={bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
