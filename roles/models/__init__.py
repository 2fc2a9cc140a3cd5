from .accounts import INVITATION_VALID_FOR, AuditEvent, Invitation
from .base import OrgOwned, OrgQuerySet
from .functions import Function
from .hats import (
    KPI,
    Acknowledgement,
    Assignment,
    ChecklistItem,
    Handover,
    Hat,
    HatChange,
    HatRevision,
)
from .jobs import Job, OutgoingEmail, WorkerBeat
from .notifications import Notification, NotificationPreference, ReminderRun
from .numbers import KPIValue, KPIValueChange
from .organisation import Organisation, Person, User
from .raci import (
    LETTERS,
    Area,
    CellChange,
    HealthSnapshot,
    ImportMapping,
    Responsibility,
    Task,
)

__all__ = [
    "INVITATION_VALID_FOR",
    "LETTERS",
    "AuditEvent",
    "Invitation",
    "KPI",
    "Acknowledgement",
    "Area",
    "Assignment",
    "CellChange",
    "ChecklistItem",
    "Function",
    "Handover",
    "Hat",
    "HatChange",
    "HatRevision",
    "HealthSnapshot",
    "ImportMapping",
    "Job",
    "KPIValue",
    "KPIValueChange",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OrgOwned",
    "OutgoingEmail",
    "OrgQuerySet",
    "Person",
    "ReminderRun",
    "Responsibility",
    "Task",
    "User",
    "WorkerBeat",
]
