from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import models as m
from .models.base import touch_on_commit


@admin.register(m.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "people__org"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
    filter_horizontal = ["groups"]


class OrgAdmin(admin.ModelAdmin):
    list_filter = ["org"]
    list_select_related = ["org"]

    def delete_queryset(self, request, queryset):
        # A bulk delete does not pass through OrgOwned.delete(): raise the stamp
        # of each organisation it deletes from, as deleting one row does.
        org_ids = set(queryset.values_list("org_id", flat=True))
        super().delete_queryset(request, queryset)
        for org_id in org_ids:
            touch_on_commit(org_id)


@admin.register(m.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "created"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(m.Person)
class PersonAdmin(OrgAdmin):
    list_display = ["name", "email", "org", "access", "active"]
    list_filter = ["org", "access", "active"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


@admin.register(m.Function)
class FunctionAdmin(OrgAdmin):
    list_display = ["name", "org", "parent", "head"]
    search_fields = ["name"]
    raw_id_fields = ["parent", "head"]


class KPIInline(admin.TabularInline):
    model = m.KPI
    extra = 0


class ChecklistInline(admin.TabularInline):
    model = m.ChecklistItem
    extra = 0


@admin.register(m.Hat)
class HatAdmin(OrgAdmin):
    list_display = ["title", "org", "function", "version", "revision"]
    list_filter = ["org", "function"]
    search_fields = ["title", "purpose"]
    raw_id_fields = ["function", "reports_to"]
    inlines = [KPIInline, ChecklistInline]

    def delete_queryset(self, request, queryset):
        # Their letters go too: keep the tasks' status counts (Hat.delete does
        # the same for one hat).
        with transaction.atomic():
            tasks = m.Task.objects.lock_for_hats(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)
            m.Task.objects.refresh_status(tasks)


@admin.register(m.Assignment)
class AssignmentAdmin(OrgAdmin):
    list_display = ["person", "hat", "org", "share", "started", "ended"]
    raw_id_fields = ["person", "hat"]


@admin.register(m.HatRevision)
class HatRevisionAdmin(OrgAdmin):
    list_display = ["hat", "number", "org", "author", "created"]
    raw_id_fields = ["hat", "author"]


@admin.register(m.Acknowledgement)
class AcknowledgementAdmin(OrgAdmin):
    list_display = ["person", "hat", "revision", "org", "created"]
    raw_id_fields = ["person", "hat", "revision"]


@admin.register(m.Handover)
class HandoverAdmin(OrgAdmin):
    list_display = ["hat", "outgoing", "incoming", "org", "created", "confirmed"]
    raw_id_fields = ["hat", "outgoing", "incoming", "confirmed_by"]


@admin.register(m.HatChange)
class HatChangeAdmin(OrgAdmin):
    list_display = ["hat", "kind", "field", "author", "org", "at"]
    raw_id_fields = ["hat", "author"]


@admin.register(m.Area)
class AreaAdmin(OrgAdmin):
    list_display = ["name", "org", "position"]


@admin.register(m.Task)
class TaskAdmin(OrgAdmin):
    list_display = ["name", "area", "org", "position"]
    list_filter = ["org", "area"]
    search_fields = ["name"]
    raw_id_fields = ["area"]


@admin.register(m.Responsibility)
class ResponsibilityAdmin(OrgAdmin):
    list_display = ["task", "hat", "letter", "org"]
    list_filter = ["org", "letter"]
    raw_id_fields = ["task", "hat"]

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            tasks = list(queryset.values_list("task_id", flat=True))
            m.Task.objects.lock(tasks)
            super().delete_queryset(request, queryset)
            m.Task.objects.refresh_status(tasks)


@admin.register(m.CellChange)
class CellChangeAdmin(OrgAdmin):
    list_display = ["task", "hat", "old", "new", "author", "org", "at"]
    raw_id_fields = ["task", "hat", "author"]


@admin.register(m.HealthSnapshot)
class HealthSnapshotAdmin(OrgAdmin):
    list_display = ["org", "date", "score", "passing", "total"]


@admin.register(m.Job)
class JobAdmin(OrgAdmin):
    list_display = ["id", "kind", "org", "state", "done", "total", "created", "finished"]
    list_filter = ["state", "kind", "org"]
    raw_id_fields = ["started_by"]
    readonly_fields = ["task_id", "heartbeat", "attempts", "fingerprint"]


@admin.register(m.OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["to", "kind", "state", "attempts", "created", "sent", "next_try"]
    list_filter = ["state", "kind"]
    search_fields = ["to"]
    raw_id_fields = ["org", "person"]


@admin.register(m.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "created", "read_at", "email_due", "emailed_at"]
    list_filter = ["kind", "email_due"]
    raw_id_fields = ["org", "person"]


@admin.register(m.ReminderRun)
class ReminderRunAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "period", "created"]
    list_filter = ["kind", "period"]
    raw_id_fields = ["org", "person"]


@admin.register(m.WorkerBeat)
class WorkerBeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "host", "pid", "seen"]
