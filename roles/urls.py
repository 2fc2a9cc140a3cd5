"""URLs of hatta. Organisation pages live under o/<slug:org>/ and every one of
their views is wrapped by roles.access.org_view. Each page family keeps its own
block below."""

from django.urls import include, path, register_converter

from .views import (
    audit,
    functions,
    hat_editor,
    hats,
    home,
    interchange,
    jobs,
    map,
    me,
    notifications,
    numbers,
    people,
    tasks,
)
from .views import matrix as matrix_views

app_name = "roles"


class IdConverter:
    """A database id: digits only, and few enough that the database can hold
    them, so a hand-typed 30-digit id is a 404 rather than an overflow error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

org_patterns = [
    # map / overview
    path("", map.org_map, name="org-map"),
    path("workload/", map.workload, name="workload"),
    # functions
    path("functions/new/", functions.function_create, name="function-create"),
    path("functions/<id:function_id>/", functions.function_detail, name="function-detail"),
    path("functions/<id:function_id>/edit/", functions.function_edit, name="function-edit"),
    path("functions/<id:function_id>/delete/", functions.function_delete, name="function-delete"),
    # hats
    path("hats/<id:hat_id>/", hats.hat_detail, name="hat-detail"),
    path("hats/<id:hat_id>.pdf", hats.hat_pdf, name="hat-pdf"),
    path("hats/<id:hat_id>/edit/", hat_editor.hat_edit, name="hat-edit"),
    path("hats/<id:hat_id>/duties/", hat_editor.hat_duty_add, name="hat-duty-add"),
    path(
        "hats/<id:hat_id>/duties/<id:task_id>/remove/",
        hat_editor.hat_duty_remove,
        name="hat-duty-remove",
    ),
    path("hats/<id:hat_id>/wearers/", hat_editor.hat_wearer_add, name="hat-wearer-add"),
    path(
        "hats/<id:hat_id>/wearers/<id:assignment_id>/end/",
        hat_editor.hat_wearer_end,
        name="hat-wearer-end",
    ),
    path("hats/<id:hat_id>/publish/", hat_editor.hat_publish, name="hat-publish"),
    path("hats/<id:hat_id>/revisions/", hats.hat_revisions, name="hat-revisions"),
    path("functions/<id:function_id>/hats/new/", hats.hat_create, name="hat-create"),
    # the editor's search-as-you-type fields
    path("suggest/hats/", hat_editor.suggest, {"kind": "hats"}, name="suggest-hats"),
    path("suggest/people/", hat_editor.suggest, {"kind": "people"}, name="suggest-people"),
    path("suggest/tasks/", hat_editor.suggest, {"kind": "tasks"}, name="suggest-tasks"),
    # my hats
    path("me/", me.me, name="me"),
    path("me/hats/<id:hat_id>/acknowledge/", me.me_acknowledge, name="me-acknowledge"),
    # weekly numbers
    path("numbers/enter/", numbers.number_enter, name="number-enter"),
    path("scorecard/", numbers.scorecard, name="scorecard"),
    path("scorecard.xlsx", numbers.scorecard_xlsx, name="scorecard-xlsx"),
    path("numbers/import/", numbers.numbers_import, name="numbers-import"),
    path(
        "numbers/import/<id:numbers_job_id>/",
        numbers.numbers_import_preview,
        name="numbers-import-preview",
    ),
    path(
        "numbers/import/<id:numbers_job_id>/apply/",
        numbers.numbers_import_apply,
        name="numbers-import-apply",
    ),
    path("functions/<id:function_id>/numbers/", numbers.team_numbers, name="team-numbers"),
    path("kpis/<id:kpi_id>/", numbers.kpi_graph, name="kpi-graph"),
    path("kpis/<id:kpi_id>/edit/", numbers.kpi_settings, name="kpi-settings"),
    # matrix
    path("matrix/", matrix_views.matrix, name="matrix"),
    path("matrix/cell/", matrix_views.matrix_cell, name="matrix-cell"),
    path("matrix/undo/", matrix_views.matrix_undo, name="matrix-undo"),
    path("matrix/tasks/new/", tasks.task_create, name="task-create"),
    path("matrix/tasks/<id:task_id>/", tasks.task_detail, name="task-detail"),
    path("matrix/tasks/<id:task_id>/edit/", tasks.task_edit, name="task-edit"),
    path("matrix/tasks/<id:task_id>/delete/", tasks.task_delete, name="task-delete"),
    path("matrix/tasks/<id:task_id>/move/", tasks.task_move, name="task-move"),
    path("matrix/areas/", tasks.area_list, name="area-list"),
    path("matrix/areas/new/", tasks.area_create, name="area-create"),
    path("matrix/areas/<id:area_id>/edit/", tasks.area_edit, name="area-edit"),
    path("matrix/areas/<id:area_id>/delete/", tasks.area_delete, name="area-delete"),
    path("matrix/areas/<id:area_id>/move/", tasks.area_move, name="area-move"),
    # interchange
    path("matrix/import/", interchange.matrix_import, name="matrix-import"),
    path(
        "matrix/import/<id:import_job_id>/",
        interchange.matrix_import_preview,
        name="matrix-import-preview",
    ),
    path(
        "matrix/import/<id:import_job_id>/apply/",
        interchange.matrix_import_apply,
        name="matrix-import-apply",
    ),
    path("matrix.xlsx", interchange.matrix_xlsx, name="matrix-xlsx"),
    path("matrix.csv", interchange.matrix_csv, name="matrix-csv"),
    path("handbook.pdf", interchange.handbook_pdf, name="handbook-pdf"),
    path("backup.json", interchange.backup_json, name="backup-json"),
    # jobs
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<id:job_id>/", jobs.job_detail, name="job-detail"),
    path("jobs/<id:job_id>/cancel/", jobs.job_cancel, name="job-cancel"),
    path("jobs/<id:job_id>/download/", jobs.job_download, name="job-download"),
    # people
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/<id:person_id>/", people.person_detail, name="person-detail"),
    path("people/<id:person_id>/edit/", people.person_edit, name="person-edit"),
    path("people/<id:person_id>/invite/", people.person_invite, name="person-invite"),
    path(
        "people/<id:person_id>/invite/retry/",
        people.person_invite_retry,
        name="person-invite-retry",
    ),
    path("people/<id:person_id>/deactivate/", people.person_deactivate, name="person-deactivate"),
    # notifications
    path("notifications/", notifications.notification_list, name="notifications"),
    path(
        "notifications/<id:notification_id>/read/",
        notifications.notification_read,
        name="notification-read",
    ),
    path("notifications/read/", notifications.notification_read_all, name="notifications-read"),
    path(
        "notifications/preferences/",
        notifications.notification_preferences,
        name="notification-preferences",
    ),
    path(
        "notifications/defaults/",
        notifications.notification_defaults,
        name="notification-defaults",
    ),
    # settings
    path("settings/", map.org_settings, name="org-settings"),
    # audit trail
    path("audit/", audit.audit_trail, name="audit"),
    path("audit.csv", audit.audit_csv, name="audit-csv"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "invitations/<id:invitation_id>/accept/",
        home.invitation_answer,
        {"answer": "accept"},
        name="invitation-accept",
    ),
    path(
        "invitations/<id:invitation_id>/decline/",
        home.invitation_answer,
        {"answer": "decline"},
        name="invitation-decline",
    ),
    path("notifications/unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
    path("o/<slug:org>/", include(org_patterns)),
]
