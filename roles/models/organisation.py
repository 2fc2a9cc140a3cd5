from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import OrgOwned, org_field, touch_on_commit


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Belongs to organisations through its Person rows."""

    email = models.EmailField(_("email"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("login")
        verbose_name_plural = _("logins")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email


class Organisation(models.Model):
    LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    language = models.CharField(
        _("default language"), max_length=5, choices=LANGUAGES, default="sv"
    )
    max_accountable = models.PositiveSmallIntegerField(
        _("maximum accountable tasks per person"), default=12
    )
    max_hats = models.PositiveSmallIntegerField(_("maximum hats per person"), default=4)
    overload_share = models.PositiveSmallIntegerField(
        _("total share (%) above which a person is overloaded"), default=100
    )
    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]
    week_ends = models.PositiveSmallIntegerField(_("the week ends on"), choices=WEEKDAYS, default=6)
    kpi_grace_days = models.PositiveSmallIntegerField(
        _("days after a period to report its numbers"), default=1
    )
    kpi_off_target_periods = models.PositiveSmallIntegerField(
        _("periods in a row off target before a KPI is flagged"), default=3
    )
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in"),
        default=False,
        help_text=_(
            "Everyone in the organisation must sign in with an authenticator app or a "
            "security key as well as their password."
        ),
    )
    # {notification kind: "email" | "app" | "off"}, set by an admin; a kind
    # missing here follows roles.notify.DEFAULTS.
    notification_defaults = models.JSONField(_("notification defaults"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # Raised by every write to the organisation's data (see touch): pages built
    # from the whole organisation (the map) are cached under it.
    stamp = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Only touch() writes the stamp: an instance loaded before a write
        # elsewhere must not put its older stamp back.
        if self.pk and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            fields = self._meta.concrete_fields
            kwargs["update_fields"] = [
                f.name for f in fields if not f.primary_key and f.name != "stamp"
            ]
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:  # its settings (the week's last day, the language) shape pages
            touch_on_commit(self.pk)

    @staticmethod
    def touch(org_id):
        """Raise the organisation's stamp: what was kept under the old one is
        no longer used. Called after every write request, by the imports, and
        on commit of a row saved anywhere else (base.touch_on_commit)."""
        Organisation.objects.filter(pk=org_id).update(stamp=models.F("stamp") + 1)


class Person(OrgOwned):
    ADMIN, MANAGER, MEMBER = "admin", "manager", "member"
    ACCESS_CHOICES = [(ADMIN, _("Admin")), (MANAGER, _("Manager")), (MEMBER, _("Member"))]

    org = org_field("people")
    user = models.ForeignKey(
        "roles.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    access = models.CharField(
        _("access level"), max_length=10, choices=ACCESS_CHOICES, default=MEMBER
    )
    active = models.BooleanField(_("active"), default=True)
    # The language of this person's emails; blank: the organisation's.
    language = models.CharField(
        _("language of emails"), max_length=5, blank=True, choices=Organisation.LANGUAGES
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint("org", Lower("email"), name="person_email_ci_unique_per_org"),
            models.UniqueConstraint(
                fields=["org", "user"],
                condition=models.Q(user__isnull=False),
                name="person_one_login_per_org",
            ),
            models.CheckConstraint(
                condition=models.Q(access__in=["admin", "manager", "member"]),
                name="person_access_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)
