from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from roles.forms import EmailAuthenticationForm
from roles.views import home
from roles.views.auth import QueuedPasswordResetView

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        login_not_required(QueuedPasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", home.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("roles.urls")),
]

handler400 = "roles.views.errors.bad_request"
handler403 = "roles.views.errors.permission_denied"
handler404 = "roles.views.errors.page_not_found"
handler500 = "roles.views.errors.server_error"
