from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field
from .raci import Task


class Hat(OrgOwned):
    """A post's job description. Its duties are its R and A letters in the matrix."""

    org = org_field("hats")
    function = models.ForeignKey(
        "roles.Function", on_delete=models.RESTRICT, related_name="hats", verbose_name=_("function")
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True, help_text=_("Why the post exists."))
    product = models.TextField(
        _("product"), blank=True, help_text=_("What the post delivers when it is done well.")
    )
    authority = models.TextField(
        _("authority"), blank=True, help_text=_("What the post may decide.")
    )
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    notes = models.TextField(_("notes"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Bumped on every saved edit; the editor carries it to detect concurrent edits.
    version = models.PositiveIntegerField(_("version"), default=1)
    # Number of the latest published revision (0: never published).
    revision = models.PositiveIntegerField(_("revision"), default=0)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("hat")
        verbose_name_plural = _("hats")
        constraints = [
            models.UniqueConstraint(
                "function", Lower("title"), name="hat_title_ci_unique_per_function"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="hat_version_positive"),
        ]

    def __str__(self):
        return self.title

    def delete(self, *args, **kwargs):
        """Delete the hat and its letters, and keep the status counts of the
        tasks those letters were on (see TaskQuerySet)."""
        with transaction.atomic():
            tasks = Task.objects.lock_for_hats([self.pk])
            result = super().delete(*args, **kwargs)
            Task.objects.refresh_status(tasks)
        return result


class KPI(models.Model):
    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("hat")
    )
    name = models.CharField(_("name"), max_length=200)
    target = models.CharField(_("target"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    period = models.CharField(_("period"), max_length=50, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # What a number of this KPI is and how it is judged (see roles.numbers).
    COUNT, AMOUNT, PERCENT, DURATION = "count", "amount", "percent", "duration"
    KINDS = [
        (COUNT, _("count")),
        (AMOUNT, _("amount")),
        (PERCENT, _("percent")),
        (DURATION, _("duration (hours)")),
    ]
    HIGHER, LOWER, RANGE = "higher", "lower", "range"
    DIRECTIONS = [
        (HIGHER, _("higher is better")),
        (LOWER, _("lower is better")),
        (RANGE, _("within a range")),
    ]
    WEEKLY, MONTHLY = "weekly", "monthly"
    FREQUENCIES = [(WEEKLY, _("weekly")), (MONTHLY, _("monthly"))]
    SUM, AVERAGE = "sum", "average"
    AGGREGATIONS = [
        ("", _("as the kind suggests")),
        (SUM, _("sum of the wearers")),
        (AVERAGE, _("average of the wearers")),
    ]
    value_kind = models.CharField(_("kind"), max_length=10, choices=KINDS, default=COUNT)
    direction = models.CharField(_("direction"), max_length=10, choices=DIRECTIONS, default=HIGHER)
    frequency = models.CharField(_("frequency"), max_length=10, choices=FREQUENCIES, default=WEEKLY)
    aggregation = models.CharField(
        _("hat figure"), max_length=10, choices=AGGREGATIONS, default="", blank=True
    )
    goal = models.DecimalField(
        _("target value"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("The number to reach; the lower end of the range for a range."),
    )
    goal_high = models.DecimalField(
        _("upper end of the range"), max_digits=14, decimal_places=4, null=True, blank=True
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")

    def __str__(self):
        return self.name

    @property
    def aggregated_by(self):
        """How the hat's figure is formed from its wearers' values."""
        if self.aggregation:
            return self.aggregation
        return self.AVERAGE if self.value_kind in (self.PERCENT, self.DURATION) else self.SUM


class ChecklistItem(models.Model):
    """What a new wearer must learn."""

    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("hat")
    )
    text = models.CharField(_("item"), max_length=500)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.text


class Assignment(OrgOwned):
    """A person wears a hat, optionally with a share of their time."""

    org = org_field("assignments")
    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("hat")
    )
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("person"),
    )
    share = models.PositiveSmallIntegerField(_("share (%)"), null=True, blank=True)
    started = models.DateTimeField(_("started"), auto_now_add=True)
    ended = models.DateTimeField(_("ended"), null=True, blank=True)
    handover_note = models.TextField(_("handover note"), blank=True)

    class Meta:
        ordering = ["started", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["hat", "person"],
                condition=models.Q(ended__isnull=True),
                name="assignment_one_current_per_wearer",
            ),
            models.CheckConstraint(
                condition=models.Q(share__isnull=True) | models.Q(share__gte=1, share__lte=100),
                name="assignment_share_1_to_100",
            ),
        ]

    def __str__(self):
        return f"{self.person} – {self.hat}"


class HatRevision(OrgOwned):
    """An immutable snapshot of a hat, made when it is published."""

    org = org_field("revisions")
    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("hat")
    )
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    created = models.DateTimeField(_("published"), auto_now_add=True)
    note = models.TextField(_("change note"), blank=True)
    snapshot = models.JSONField(_("snapshot"), default=dict)
    # A minor edit (a typo, a wording): whoever had confirmed the revision
    # before it is counted as having confirmed this one too.
    minor = models.BooleanField(_("minor edit"), default=False)

    class Meta:
        ordering = ["hat", "-number"]
        verbose_name = _("hat revision")
        verbose_name_plural = _("hat revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["hat", "number"], name="revision_number_unique_per_hat"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="revision_number_positive"
            ),
        ]

    def __str__(self):
        return f"{self.hat} #{self.number}"


class Acknowledgement(OrgOwned):
    """A person confirms they have read revision N of a hat they wear."""

    org = org_field("acknowledgements")
    person = models.ForeignKey(
        "roles.Person",
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        verbose_name=_("person"),
    )
    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="acknowledgements", verbose_name=_("hat")
    )
    revision = models.ForeignKey(
        HatRevision,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        verbose_name=_("revision"),
    )
    created = models.DateTimeField(_("confirmed"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "hat", "revision"], name="acknowledgement_unique"
            ),
        ]

    def __str__(self):
        return f"{self.person} ✓ {self.revision}"


class Handover(OrgOwned):
    """A hat changing hands: the outgoing wearer's note, the incoming wearer's
    first acknowledgement, and the manager's confirmation."""

    org = org_field("handovers")
    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("hat")
    )
    outgoing = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handovers_out",
        verbose_name=_("outgoing wearer"),
    )
    incoming = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handovers_in",
        verbose_name=_("incoming wearer"),
    )
    note = models.TextField(_("handover note"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    acknowledged = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self):
        return f"{self.hat}: {self.outgoing} → {self.incoming}"


class HatChange(OrgOwned):
    """History: who changed which field of a hat, or its wearers, and when."""

    FIELD, KPI, CHECKLIST, DUTY, WEARER, PUBLISHED = (
        "field",
        "kpi",
        "checklist",
        "duty",
        "wearer",
        "published",
    )
    KINDS = [
        (FIELD, _("field")),
        (KPI, _("KPI")),
        (CHECKLIST, _("checklist")),
        (DUTY, _("duty")),
        (WEARER, _("wearer")),
        (PUBLISHED, _("published")),
    ]

    org = org_field("hat_changes")
    hat = models.ForeignKey(
        Hat, on_delete=models.CASCADE, related_name="changes", verbose_name=_("hat")
    )
    author = models.ForeignKey(
        "roles.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    field = models.CharField(_("field"), max_length=100, blank=True)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("hat change")
        verbose_name_plural = _("hat changes")
        indexes = [models.Index(fields=["hat", "-at"])]

    def __str__(self):
        return f"{self.hat}: {self.field or self.kind}"


__all__ = [
    "Hat",
    "KPI",
    "ChecklistItem",
    "Assignment",
    "HatRevision",
    "Acknowledgement",
    "Handover",
    "HatChange",
]
