"""Read the POST forms of an HTML page, as a browser would submit them: inputs,
checked boxes, textareas and selected options. Used by the benchmark's import
step and the load tests, so they need no knowledge of a form's fields."""

from html.parser import HTMLParser


class Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.current = [], None
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "").lower() == "post":
                self.current = {"action": a.get("action") or "", "fields": {}}
                self.forms.append(self.current)
            return
        if self.current is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        fields = self.current["fields"]
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields[name] = a.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""
        elif tag == "select":
            self._select = {"name": name, "first": None, "chosen": None}

    def _option(self, a):
        value = a.get("value") or ""
        if self._select["first"] is None:
            self._select["first"] = value
        if "selected" in a:
            self._select["chosen"] = value

    def handle_data(self, data):
        if self._textarea and self.current is not None:
            self.current["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            value = self.current["fields"].get(self._textarea, "") if self.current else ""
            if self.current and value.startswith("\n"):  # HTML drops one leading newline
                self.current["fields"][self._textarea] = value[1:]
            self._textarea = None
        elif tag == "select" and self._select is not None:
            s = self._select
            if self.current is not None:
                self.current["fields"][s["name"]] = (
                    s["chosen"] if s["chosen"] is not None else (s["first"] or "")
                )
            self._select = None


def post_forms(html):
    """[{"action": str, "fields": {name: value}}] of the page's POST forms."""
    parser = Forms()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_with(html, field):
    """The first POST form that has `field`, or None."""
    return next((f for f in post_forms(html) if field in f["fields"]), None)


def requests_sign_in(session, host, email, password):
    """Sign in through the real form with a requests.Session; raises unless signed in.
    (Here, not in the locust files: importing locust monkey-patches ssl.)"""
    page = session.get(host + "/accounts/login/", timeout=30)
    form = form_with(page.text, "csrfmiddlewaretoken")
    fields = dict(form["fields"]) if form else {}
    fields.update({"login": email, "password": password})
    response = session.post(
        host + "/accounts/login/", data=fields, allow_redirects=False, timeout=30
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"sign-in on {host} answered {response.status_code}")
    return session
