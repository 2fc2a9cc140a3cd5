"""Whole-organisation backup as one JSON document ("hatta-org", version 1).

The document is generic over the app's models: every model that belongs to an
organisation (directly through `org`, or through a required link to such a row)
is written with all its concrete fields. Rows are numbered 1..n per table in
primary-key order ("ref"), links are refs, so exporting a restored copy gives
the same document again apart from the slug. Logins appear only as email and
name: password hashes never leave the server. The audit trail and invitations
are not part of it. See README.md in this folder.
"""

from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal

from django.apps import apps
from django.db import models, transaction

from .. import tree
from ..models import AuditEvent, Invitation, Job, Organisation, OrgOwned, Task, User
from ..models.base import refuse_cross_org

FORMAT, VERSION = "hatta-org", 1
ORG_FIELDS = (
    "name",
    "language",
    "max_accountable",
    "max_hats",
    "overload_share",
    "week_ends",
    "kpi_grace_days",
    "kpi_off_target_periods",
    "require_two_factor",
    "created",
)


class BackupError(ValueError):
    pass


def org_models():
    """Models of one organisation's data, each after the models it needs."""
    found = {}
    for model in apps.get_app_config("roles").get_models():
        # Logins are written as email and name only; the audit trail and
        # invitations to logins are records about logins, not the organisation's data.
        # Jobs are work in progress, not data.
        if model in (Organisation, User, AuditEvent, Invitation, Job):
            continue
        path = org_path(model, found)
        if path:
            found[model] = path
    # Dependency order on required links (nullable links are set in a second pass).
    ordered, done = [], set()

    def visit(model, stack=()):
        if model in done:
            return
        if model in stack:
            raise BackupError(f"circular required links at {model.__name__}")
        for field in links(model):
            if not field.null and field.related_model in found and field.related_model is not model:
                visit(field.related_model, (*stack, model))
        done.add(model)
        ordered.append(model)

    for model in sorted(found, key=lambda m: m.__name__):
        visit(model)
    return [(model, found[model]) for model in ordered]


def org_path(model, found):
    """The lookup from `model` to its organisation ("org", "hat__org"), or None."""
    names = {f.name: f for f in model._meta.concrete_fields}
    if "org" in names and names["org"].related_model is Organisation:
        return "org"
    for field in model._meta.concrete_fields:
        if field.is_relation and not field.null and field.related_model is not model:
            target = field.related_model
            target_names = {f.name for f in target._meta.concrete_fields}
            if "org" in target_names and target is not Organisation and target is not User:
                return f"{field.name}__org"
    return None


def links(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.is_relation and f.name != "org" and f.related_model is not None
    ]


def table_name(model):
    return model._meta.model_name


def plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# Export ---------------------------------------------------------------------------------
def export_org(org):
    tables, refs = {}, {}
    rows_of = {}
    for model, path in org_models():
        rows = list(model._base_manager.filter(**{path: org}).order_by("pk"))
        refs[model] = {row.pk: index for index, row in enumerate(rows, start=1)}
        rows_of[model] = rows
    users = {}
    for model, rows in rows_of.items():
        out = []
        for row in rows:
            item = {"ref": refs[model][row.pk]}
            for field in model._meta.concrete_fields:
                if field.primary_key or field.name == "org":
                    continue
                value = getattr(row, field.attname)
                if field.is_relation:
                    if field.related_model is User:
                        if value is not None:
                            user = users.get(value) or User.objects.get(pk=value)
                            users[value] = user
                            value = user.email
                    elif value is not None:
                        value = refs[field.related_model].get(value)
                else:
                    value = plain(value)
                item[field.name] = value
            out.append(item)
        tables[table_name(model)] = out
    return {
        "format": FORMAT,
        "version": VERSION,
        "organisation": {"slug": org.slug, **{f: plain(getattr(org, f)) for f in ORG_FIELDS}},
        "users": sorted(
            ({"email": u.email, "name": u.name} for u in users.values()), key=lambda u: u["email"]
        ),
        "tables": tables,
    }


# Import ---------------------------------------------------------------------------------
@contextmanager
def keep_timestamps(model_list):
    """Store the document's timestamps instead of "now" while restoring."""
    changed = []
    for model in model_list:
        for field in model._meta.concrete_fields:
            for flag in ("auto_now", "auto_now_add"):
                if getattr(field, flag, False):
                    setattr(field, flag, False)
                    changed.append((field, flag))
    try:
        yield
    finally:
        for field, flag in changed:
            setattr(field, flag, True)


def value_for(field, value):
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


@transaction.atomic
def import_org(document, slug=None, replace=False):
    """Create the organisation of `document` (under `slug` if given). An existing
    slug is refused unless `replace`, which deletes that organisation first."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError("not a hatta-org document")
    if document.get("version") != VERSION:
        raise BackupError(f"unsupported version {document.get('version')!r}; this is {VERSION}")
    meta = document["organisation"]
    slug = slug or meta["slug"]
    existing = Organisation.objects.filter(slug=slug).first()
    if existing is not None:
        if not replace:
            raise BackupError(f"an organisation with slug {slug!r} exists; use --replace")
        delete_org(existing)
    model_list = [model for model, _path in org_models()]
    with keep_timestamps([Organisation, *model_list]):
        org = Organisation(slug=slug)
        for name in ORG_FIELDS:
            if name in meta:
                setattr(org, name, value_for(Organisation._meta.get_field(name), meta[name]))
        org.save()
        users = {}
        for item in document.get("users", []):
            user = User.objects.filter(email__iexact=item["email"]).first()
            if user is None:
                user = User(email=item["email"], name=item.get("name", ""))
                user.set_unusable_password()
                user.save()
            users[item["email"].lower()] = user
        pk_of, later = {}, []
        tables = document.get("tables", {})
        for model in model_list:
            pk_of[model] = {}
            rows = tables.get(table_name(model), [])
            objects = []
            for item in rows:
                obj = model()
                if any(f.name == "org" for f in model._meta.concrete_fields):
                    obj.org = org
                deferred = {}
                for field in model._meta.concrete_fields:
                    if field.primary_key or field.name == "org" or field.name not in item:
                        continue
                    value = item[field.name]
                    if field.is_relation:
                        target = field.related_model
                        if value is None:
                            setattr(obj, field.attname, None)
                        elif target is User:
                            user = users.get(str(value).lower())
                            setattr(obj, field.attname, user.pk if user else None)
                        elif target in pk_of and value in pk_of[target] and target is not model:
                            setattr(obj, field.attname, pk_of[target][value])
                        elif field.null:
                            deferred[field.attname] = (target, value)
                        else:
                            raise BackupError(
                                f"{table_name(model)} {item.get('ref')}: unknown {field.name}"
                            )
                    else:
                        setattr(obj, field.attname, value_for(field, value))
                objects.append((item["ref"], obj, deferred))
            rows = [obj for _ref, obj, _d in objects]
            if issubclass(model, OrgOwned):
                refuse_cross_org(rows)
            created = model._base_manager.bulk_create(rows)
            for (ref, _obj, deferred), row in zip(objects, created, strict=True):
                pk_of[model][ref] = row.pk
                if deferred:
                    later.append((model, row, deferred))
        for model, row, deferred in later:
            for attname, (target, ref) in deferred.items():
                setattr(row, attname, pk_of.get(target, {}).get(ref))
            if issubclass(model, OrgOwned):
                refuse_cross_org([row], deferred)
            model._base_manager.filter(pk=row.pk).update(
                **{attname: getattr(row, attname) for attname in deferred}
            )
        refuse_loops(org, model_list)
        # The tasks' status counts follow from the letters just restored,
        # whatever the document says of them (or if it is older than they are).
        Task.objects.for_org(org).refresh_status()
    return org


def refuse_loops(org, model_list):
    """A link of a row to another of its kind (a function's parent, the hat
    a hat reports to) may not come round to the row again."""
    for model in model_list:
        for field in links(model):
            if field.related_model is not model:
                continue
            rows = model._base_manager.filter(org=org).values_list("pk", field.attname)
            loops = tree.cycles(dict(rows))
            if loops:
                raise BackupError(
                    f"{table_name(model)}: {field.name} goes round in a loop ({len(loops[0])} rows)"
                )


def delete_org(org):
    """Delete an organisation and all its rows: optional links first, then the rows,
    children before parents, so no protected link stands in the way."""
    ordered = org_models()
    for model, path in ordered:
        optional = [
            f.name
            for f in links(model)
            if f.null and f.related_model is not User and f.related_model is not Organisation
        ]
        if optional:
            model._base_manager.filter(**{path: org}).update(**dict.fromkeys(optional))
    for model, path in reversed(ordered):
        model._base_manager.filter(**{path: org}).delete()
    org.delete()
