"""URLs of hatta. Organisation pages live under o/<slug:org>/ and every one of
their views is wrapped by roles.access.org_view. Each page family keeps its own
block below."""

from django.urls import include, path

from .views import functions, hats, home, interchange, map, me, people
from .views import matrix as matrix_views

app_name = "roles"

org_patterns = [
    # map / overview
    path("", map.org_map, name="org-map"),
    path("workload/", map.workload, name="workload"),
    # functions
    path("functions/new/", functions.function_create, name="function-create"),
    path("functions/<int:function_id>/", functions.function_detail, name="function-detail"),
    path("functions/<int:function_id>/edit/", functions.function_edit, name="function-edit"),
    path("functions/<int:function_id>/delete/", functions.function_delete, name="function-delete"),
    # hats
    path("hats/<int:hat_id>/", hats.hat_detail, name="hat-detail"),
    path("hats/<int:hat_id>.pdf", hats.hat_pdf, name="hat-pdf"),
    path("hats/<int:hat_id>/edit/", hats.hat_edit, name="hat-edit"),
    path("hats/<int:hat_id>/duties/", hats.hat_duty_add, name="hat-duty-add"),
    path(
        "hats/<int:hat_id>/duties/<int:task_id>/remove/",
        hats.hat_duty_remove,
        name="hat-duty-remove",
    ),
    path("hats/<int:hat_id>/wearers/", hats.hat_wearer_add, name="hat-wearer-add"),
    path(
        "hats/<int:hat_id>/wearers/<int:assignment_id>/end/",
        hats.hat_wearer_end,
        name="hat-wearer-end",
    ),
    path("hats/<int:hat_id>/publish/", hats.hat_publish, name="hat-publish"),
    path("hats/<int:hat_id>/revisions/", hats.hat_revisions, name="hat-revisions"),
    path("functions/<int:function_id>/hats/new/", hats.hat_create, name="hat-create"),
    # my hats
    path("me/", me.me, name="me"),
    path("me/hats/<int:hat_id>/acknowledge/", me.me_acknowledge, name="me-acknowledge"),
    # matrix
    path("matrix/", matrix_views.matrix, name="matrix"),
    path("matrix/cell/", matrix_views.matrix_cell, name="matrix-cell"),
    path("matrix/undo/", matrix_views.matrix_undo, name="matrix-undo"),
    path("matrix/tasks/new/", matrix_views.task_create, name="task-create"),
    path("matrix/tasks/<int:task_id>/", matrix_views.task_detail, name="task-detail"),
    path("matrix/tasks/<int:task_id>/edit/", matrix_views.task_edit, name="task-edit"),
    path("matrix/tasks/<int:task_id>/delete/", matrix_views.task_delete, name="task-delete"),
    path("matrix/tasks/<int:task_id>/move/", matrix_views.task_move, name="task-move"),
    path("matrix/areas/", matrix_views.area_list, name="area-list"),
    path("matrix/areas/new/", matrix_views.area_create, name="area-create"),
    path("matrix/areas/<int:area_id>/edit/", matrix_views.area_edit, name="area-edit"),
    path("matrix/areas/<int:area_id>/delete/", matrix_views.area_delete, name="area-delete"),
    path("matrix/areas/<int:area_id>/move/", matrix_views.area_move, name="area-move"),
    # interchange
    path("matrix/import/", interchange.matrix_import, name="matrix-import"),
    path("matrix/import/apply/", interchange.matrix_import_apply, name="matrix-import-apply"),
    path("matrix.xlsx", interchange.matrix_xlsx, name="matrix-xlsx"),
    path("matrix.csv", interchange.matrix_csv, name="matrix-csv"),
    path("handbook.pdf", interchange.handbook_pdf, name="handbook-pdf"),
    # people
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/<int:person_id>/", people.person_detail, name="person-detail"),
    path("people/<int:person_id>/edit/", people.person_edit, name="person-edit"),
    path("people/<int:person_id>/invite/", people.person_invite, name="person-invite"),
    path("people/<int:person_id>/deactivate/", people.person_deactivate, name="person-deactivate"),
    # settings
    path("settings/", map.org_settings, name="org-settings"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("o/<slug:org>/", include(org_patterns)),
]
