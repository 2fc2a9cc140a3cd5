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
from .numbers import KPIValue, KPIValueChange
from .organisation import Organisation, Person, User
from .raci import LETTERS, Area, CellChange, HealthSnapshot, Responsibility, Task

__all__ = [
    "LETTERS",
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
    "KPIValue",
    "KPIValueChange",
    "Organisation",
    "OrgOwned",
    "OrgQuerySet",
    "Person",
    "Responsibility",
    "Task",
    "User",
]
