"""Named actions, the built-in roles as sets of actions, and the one place permissions are checked.

Deny by default: an action not granted by one of the actor's roles is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zhurnal.core.errors import PermissionDenied

# action -> (description, scope). Scope says how far the action reaches for the roles that hold it.
ACTIONS: dict[str, tuple[str, str]] = {
    "school.read": ("See the school's structure: years, terms, classes, subjects, curriculum", "school"),
    "school.write": ("Change years, terms, classes, subjects, curriculum and teaching assignments", "school"),
    "people.read": ("Read personal data of students, staff and parents", "school"),
    "people.write": ("Create and edit people and guardianship", "school"),
    "orders.write": ("Write directors' orders and apply their movements", "school"),
    "settings.write": ("Change school settings", "school"),
    "accounts.manage": ("Create, lock, unlock and reset user accounts; issue login codes", "school"),
    "roles.assign": ("Grant and revoke roles", "school"),
    "audit.read": ("Read the audit trail", "school"),
    "stats.read": ("See counts without personal data", "school"),
    "import.run": ("Import data from files and other systems", "school"),
    "export.personal_data": ("Export lists and letters that contain personal data", "school"),
    "backup.create": ("Create and verify backups", "school"),
    "backup.restore": ("Restore a backup over the live database", "school"),
    "year.manage": ("Open and close academic years, promote students", "school"),
    "reports.activity": ("Produce the activity report", "school"),
    "journal.read": ("Read class journals", "school"),
    "journal.write": ("Keep the journal of one's own classes", "own classes"),
    "journal.unlock": ("Approve or reject a teacher's request to change marks behind the grade-entry lock",
                       "school"),
    "diary.read": ("Read the diary of oneself or one's own children", "self or own children"),
    "self.password": ("Change one's own password; confirm it again before a sensitive operation", "self"),
    "announcements.post": ("Post announcements to roles, classes or everyone, and withdraw them", "school"),
    "support.manage": ("See the support queue, answer and close problem reports", "school"),
    "self.messages": ("Read the announcements addressed to oneself; send problem reports and read the answers",
                      "self"),
}

_ADMIN = frozenset(ACTIONS) - {"journal.write", "diary.read"}
# Every account may change its own password (and confirm it before a sensitive operation), read the
# announcements addressed to it and report a problem.
_EVERYONE = frozenset({"self.password", "self.messages"})
_STAFF_READ = _EVERYONE | {"school.read", "stats.read"}

# role -> (Russian title, actions)
ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "admin": ("Системный администратор", _ADMIN),
    "deputy": ("Заместитель директора (завуч)", _STAFF_READ | {
        "school.write", "people.read", "journal.read", "journal.unlock", "year.manage", "reports.activity",
        "roles.assign", "announcements.post",
    }),
    "teacher": ("Учитель", _STAFF_READ | {"journal.write"}),
    "class_teacher": ("Классный руководитель", _STAFF_READ | {"journal.write", "people.read"}),
    "student": ("Обучающийся", _EVERYONE | {"diary.read"}),
    "parent": ("Родитель (законный представитель)", _EVERYONE | {"diary.read"}),
    "auditor": ("Аудитор (только чтение)", _STAFF_READ | {
        "people.read", "audit.read", "journal.read", "reports.activity",
    }),
    "backup_operator": ("Оператор резервного копирования", _EVERYONE | {"backup.create", "stats.read"}),
}

# role -> the roles its holders may grant and revoke (with the action roles.assign). Nobody may change their
# own roles, whatever this says (the user service refuses it).
ASSIGNABLE: dict[str, frozenset[str]] = {
    "admin": frozenset(ROLES),
    "deputy": frozenset({"teacher", "class_teacher", "student", "parent"}),
    "teacher": frozenset(),
    "class_teacher": frozenset(),
    "student": frozenset(),
    "parent": frozenset(),
    "auditor": frozenset(),
    "backup_operator": frozenset(),
}


def actions_of(roles: frozenset[str]) -> frozenset[str]:
    """Every action any of `roles` grants, plus what every account holds (its own password) even with no
    role; unknown role names grant nothing."""
    granted: set[str] = set(_EVERYONE)
    for role in roles:
        granted |= ROLES.get(role, ("", frozenset()))[1]
    return frozenset(granted)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user in one current school, with the roles held there."""

    user_id: int | None
    login: str
    school_id: int | None
    roles: frozenset[str]
    person_id: int | None = None
    actions: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.actions:
            object.__setattr__(self, "actions", actions_of(self.roles))

    @classmethod
    def system(cls, purpose: str, school_id: int | None = None) -> Actor:
        """The bootstrap actor used by `zhurnal init` and `zhurnal demo`, which run before any account exists.

        Only commands that already hold the database file (or its server credentials) may use it.
        """
        return cls(user_id=None, login=f"system:{purpose}", school_id=school_id, roles=frozenset({"admin"}),
                   actions=frozenset(ACTIONS))

    def in_school(self, school_id: int) -> Actor:
        return Actor(self.user_id, self.login, school_id, self.roles, self.person_id, self.actions)


def check(actor: Actor, action: str) -> None:
    """Raise PermissionDenied unless `actor` may perform `action`. The single permission check."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action not in actor.actions:
        raise PermissionDenied(action)


def check_any(actor: Actor, actions: tuple[str, ...]) -> None:
    """Raise PermissionDenied (naming the first action) unless `actor` holds one of `actions`."""
    for action in actions:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
    if not any(action in actor.actions for action in actions):
        raise PermissionDenied(actions[0])


def assignable_by(roles: frozenset[str]) -> frozenset[str]:
    """Every role that holders of `roles` may grant and revoke; unknown role names allow nothing."""
    allowed: set[str] = set()
    for role in roles:
        allowed |= ASSIGNABLE.get(role, frozenset())
    return frozenset(allowed)


def check_assign(actor: Actor, role: str) -> None:
    """Raise PermissionDenied unless `actor` may grant and revoke `role` (it needs roles.assign too).

    Raises ValueError for a role that does not exist: callers validate the name first.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    check(actor, "roles.assign")
    if role not in assignable_by(actor.roles):
        raise PermissionDenied("roles.assign", f"Недостаточно прав: роль «{ROLES[role][0]}» ({role}) "
                                               "выдают и снимают только те, кому это разрешено")
