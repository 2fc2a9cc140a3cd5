"""Writes that touch several rows, each in one transaction."""

from django.db import transaction
from django.db.models import F

from .. import raci
from ..models import Acknowledgement, Hat, HatChange, HatRevision, Responsibility


def hat_letters(hat):
    """{task_id: set(letters)} of one hat, with the tasks preloaded. One query."""
    cells = {}
    tasks = {}
    for r in Responsibility.objects.filter(hat=hat).select_related("task__area"):
        cells.setdefault(r.task_id, set()).add(r.letter)
        tasks[r.task_id] = r.task
    return cells, tasks


def snapshot_hat(hat):
    """Everything a wearer reads, as plain data: what a revision keeps."""
    cells, tasks = hat_letters(hat)

    def task_key(tid):
        t = tasks[tid]
        return (t.area.position if t.area else 10**9, t.area_id or 0, t.position, t.id)

    duties, involved = [], []
    for tid in sorted(cells, key=task_key):
        t = tasks[tid]
        row = {
            "task": t.name,
            "area": t.area.name if t.area else "",
            "letters": raci.format_cell(cells[tid]),
        }
        (duties if cells[tid] & {"A", "R"} else involved).append(row)
    return {
        "title": hat.title,
        "function": hat.function.name,
        "purpose": hat.purpose,
        "product": hat.product,
        "authority": hat.authority,
        "reports_to": hat.reports_to.title if hat.reports_to_id else "",
        "notes": hat.notes,
        "kpis": [
            {"name": k.name, "target": k.target, "unit": k.unit, "period": k.period}
            for k in hat.kpis.all()
        ],
        "checklist": [c.text for c in hat.checklist.all()],
        "duties": duties,
        "involved": involved,
    }


@transaction.atomic
def publish_hat(hat, author, note=""):
    """Make the next immutable revision of `hat`. Wearers are asked to confirm again."""
    locked = Hat.objects.select_for_update().get(pk=hat.pk)
    number = locked.revision + 1
    revision = HatRevision.objects.create(
        org_id=hat.org_id,
        hat=locked,
        number=number,
        author=author,
        note=note,
        snapshot=snapshot_hat(locked),
    )
    Hat.objects.filter(pk=hat.pk).update(revision=F("revision") + 1)
    hat.revision = number
    HatChange.objects.create(
        org_id=hat.org_id,
        hat=locked,
        author=author,
        kind=HatChange.PUBLISHED,
        field="revision",
        old=str(number - 1),
        new=str(number),
    )
    return revision


@transaction.atomic
def acknowledge(person, hat):
    """Record that `person` has read the current revision of `hat`. Idempotent."""
    revision = HatRevision.objects.filter(hat=hat, number=hat.revision).first()
    if revision is None:
        return None
    ack, _ = Acknowledgement.objects.get_or_create(
        org_id=hat.org_id, person=person, hat=hat, revision=revision
    )
    return ack
