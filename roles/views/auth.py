"""Password reset that never mails from the request."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.utils.translation import get_language

from ..tasks import send_password_reset


class QueuedPasswordResetView(auth_views.PasswordResetView):
    """The request only queues the reset (one row, whatever the address): the
    answer and its cost are the same for a known and an unknown email, and for a
    mail server that is up or down. The worker looks the address up and mails."""

    def form_valid(self, form):
        send_password_reset.enqueue(
            email=form.cleaned_data["email"],
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
            language=get_language(),
        )
        return HttpResponseRedirect(self.get_success_url())
