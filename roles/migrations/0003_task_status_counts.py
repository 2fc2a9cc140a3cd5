# Each task's status counts, stored on its row (see roles.services.task_status),
# and filled from the letters already there; and the areas in the order the
# matrix pages through them.

from collections import defaultdict

from django.db import migrations, models

BATCH = 1000
FIELDS = ("a_count", "r_count", "unusual_count")
# roles.raci.USUAL as of this migration: a migration keeps its own copy of the rule.
USUAL = frozenset(
    frozenset(letters) for letters in ("", "R", "A", "AR", "C", "I")
)


def counts(cells):
    return (
        sum("A" in letters for letters in cells),
        sum("R" in letters for letters in cells),
        sum(frozenset(letters) not in USUAL for letters in cells),
    )


def fill(apps, schema_editor):
    """Every task's counts from its letters, a batch of tasks at a time (three
    queries each), on any database."""
    db = schema_editor.connection.alias
    Task = apps.get_model("roles", "Task")
    Responsibility = apps.get_model("roles", "Responsibility")
    last = 0
    while True:
        ids = list(
            Task.objects.using(db)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        last = ids[-1]
        cells = defaultdict(lambda: defaultdict(set))
        for task_id, hat_id, letter in (
            Responsibility.objects.using(db)
            .filter(task_id__in=ids)
            .order_by()
            .values_list("task_id", "hat_id", "letter")
        ):
            cells[task_id][hat_id].add(letter)
        changed = [
            Task(pk=pk, **dict(zip(FIELDS, counts(list(row.values())), strict=True)))
            for pk, row in cells.items()
        ]
        Task.objects.using(db).bulk_update(changed, FIELDS)


class Migration(migrations.Migration):

    dependencies = [
        ('roles', '0002_ci_org_delete'),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='a_count',
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name='task',
            name='r_count',
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name='task',
            name='unusual_count',
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='area',
            index=models.Index(fields=['org', 'position', 'id'], name='roles_area_org_id_0f2543_idx'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
