"""What changed between two published revisions of a hat.

Pure functions on the plain `HatRevision.snapshot` dicts made by
`services.hats.snapshot_hat`: no database. Used by the revisions page and by
My hats ("what changed since the revision you confirmed").
"""

from django.utils.translation import gettext_lazy as _

# Field order on the page, and the label each field is shown with.
LABELS = {
    "title": _("Title"),
    "function": _("Function"),
    "purpose": _("Purpose"),
    "product": _("Product"),
    "authority": _("Authority"),
    "reports_to": _("Reports to"),
    "notes": _("Notes"),
    "kpis": _("KPIs"),
    "checklist": _("Checklist"),
    "duties": _("Duties"),
    "involved": _("Consulted or informed"),
}
LIST_FIELDS = ("kpis", "checklist", "duties", "involved")


def _item_key(field, item):
    """What identifies one item of a list field across revisions."""
    if isinstance(item, dict):
        if field == "kpis":
            return str(item.get("name", "")).strip().lower()
        if field in ("duties", "involved"):
            return str(item.get("task", "")).strip().lower()
        return repr(sorted(item.items()))
    return str(item).strip().lower()


def item_text(field, item):
    """One list item as a reader sees it."""
    if not isinstance(item, dict):
        return str(item)
    if field == "kpis":
        target = " ".join(str(item.get(k) or "") for k in ("target", "unit")).strip()
        bits = [str(item.get("name", ""))]
        if target:
            bits.append(target)
        if item.get("period"):
            bits.append(f"/ {item['period']}")
        return " ".join(bits) if len(bits) == 1 else f"{bits[0]}: {' '.join(bits[1:])}"
    if field in ("duties", "involved"):
        text = str(item.get("task", ""))
        if item.get("letters"):
            text = f"{text} ({item['letters']})"
        if item.get("area"):
            text = f"{item['area']} – {text}"
        return text
    return ", ".join(f"{k}: {v}" for k, v in item.items())


def _diff_list(field, old, new):
    old_by = {}
    for item in old:
        old_by.setdefault(_item_key(field, item), item)
    new_by = {}
    for item in new:
        new_by.setdefault(_item_key(field, item), item)
    added = [item for key, item in new_by.items() if key not in old_by]
    removed = [item for key, item in old_by.items() if key not in new_by]
    changed = [
        {"old": old_by[key], "new": item}
        for key, item in new_by.items()
        if key in old_by and old_by[key] != item
    ]
    # Same items in another order: a change too (the order is what a reader reads).
    reordered = not (added or removed or changed) and [_item_key(field, i) for i in old] != [
        _item_key(field, i) for i in new
    ]
    return added, removed, changed, reordered


def _as_list(value):
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def diff_snapshots(old, new):
    """Field-by-field changes from snapshot `old` to snapshot `new`.

    Each change is a dict: field, label, old, new, added, removed, changed
    (list of {"old", "new"} item pairs), reordered (bool) and lines — a list
    of (sign, text) with sign "+", "-" or "~" for showing it. For plain text
    fields added/removed/changed are empty. An empty or None `old` means
    everything in `new` is new; fields equal in both are left out.
    """
    old = old or {}
    new = new or {}
    keys = list(LABELS) + sorted((set(old) | set(new)) - set(LABELS))
    changes = []
    for key in keys:
        if key not in old and key not in new:
            continue
        before, after = old.get(key), new.get(key)
        change = {
            "field": key,
            "label": LABELS.get(key, key),
            "old": before,
            "new": after,
            "added": [],
            "removed": [],
            "changed": [],
            "reordered": False,
            "lines": [],
        }
        if key in LIST_FIELDS or isinstance(before, list) or isinstance(after, list):
            before, after = _as_list(before), _as_list(after)
            change["old"], change["new"] = before, after
            added, removed, changed, reordered = _diff_list(key, before, after)
            if not (added or removed or changed or reordered):
                continue
            change.update(added=added, removed=removed, changed=changed, reordered=reordered)
            lines = [("+", item_text(key, i)) for i in added]
            lines += [("-", item_text(key, i)) for i in removed]
            lines += [
                ("~", f"{item_text(key, c['old'])} → {item_text(key, c['new'])}") for c in changed
            ]
            if reordered:
                lines.append(("~", str(_("new order"))))
            change["lines"] = lines
        else:
            before = "" if before is None else before
            after = "" if after is None else after
            if before == after:
                continue
            change["old"], change["new"] = before, after
            change["lines"] = [("-", str(before))] if before != "" else []
            if after != "":
                change["lines"].append(("+", str(after)))
        changes.append(change)
    return changes
