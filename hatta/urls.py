from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from roles.views import home


def moved(name):
    """Old sign-in addresses (bookmarks, emails) lead to their new pages."""
    return login_not_required(RedirectView.as_view(pattern_name=name, permanent=True))


urlpatterns = [
    path("accounts/", include("allauth.urls")),
    # The addresses before sign-in moved to allauth.
    path("accounts/password_change/", moved("account_change_password")),
    path("accounts/password_reset/", moved("account_reset_password")),
    # Set-password links already sent by email stay valid until they expire.
    path(
        "accounts/reset/<uidb64>/<token>/",
        login_not_required(
            auth_views.PasswordResetConfirmView.as_view(
                success_url="/accounts/password/reset/key/done/"
            )
        ),
        name="password_reset_confirm",
    ),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", home.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("roles.urls")),
]

handler400 = "roles.views.errors.bad_request"
handler403 = "roles.views.errors.permission_denied"
handler404 = "roles.views.errors.page_not_found"
handler500 = "roles.views.errors.server_error"
