"""The keys that open the main screens, and the registry of every section the app has.

F-keys reach the daily screens; every section (including those without a key of their own) is listed in
the sections menu (F12) and opens with `App.action_open(target)`. A section names the module and class of
its screen, imported only when opened so the app starts fast, and the action an actor needs to see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.binding import Binding

from zhurnal.tui.app.keys import bind


@dataclass(frozen=True)
class Section:
    """One main screen: where its class lives, its title in the catalogue, who may open it."""

    module: str
    cls: str
    title_key: str
    action: str | tuple[str, ...] | None = None  # the permission an actor needs (a tuple: any of them); None: anyone

    def allowed(self, can: Callable[[str], bool]) -> bool:
        """Whether an actor holding the actions `can` says yes to may open the section."""
        if self.action is None:
            return True
        actions = (self.action,) if isinstance(self.action, str) else self.action
        return any(can(action) for action in actions)


_SCREENS = "zhurnal.tui.app.screens."

# target -> section, in the order the sections menu lists them. The people lists (student, staff, parent)
# are one screen class with the kind as argument; the app builds them itself.
SECTIONS: dict[str, Section] = {
    "classes": Section(_SCREENS + "classes", "ClassesScreen", "classes.title", "school.read"),
    "orders": Section(_SCREENS + "orders", "OrdersScreen", "orders.title", "people.read"),
    "subjects": Section(_SCREENS + "subjects", "SubjectsScreen", "subjects.title", "school.read"),
    "assignments": Section(_SCREENS + "assignments", "AssignmentsScreen", "assignments.title", "school.read"),
    "settings": Section(_SCREENS + "settings", "SettingsScreen", "settings.title", "school.read"),
    "backups": Section(_SCREENS + "backups", "BackupsScreen", "backups.title", "backup.create"),
    # The deputy director (roles.assign) finds accounts here to grant roles; the rest stays accounts.manage.
    "users": Section(_SCREENS + "users", "UsersScreen", "users.title", ("accounts.manage", "roles.assign")),
    "audit": Section(_SCREENS + "audit", "AuditScreen", "audit.title", "audit.read"),
    "password": Section(_SCREENS + "password", "PasswordScreen", "password.title", "self.password"),
    # Teachers keep journals (journal.write); the administration reads them (journal.read).
    "journal": Section(_SCREENS + "journal", "JournalListScreen", "journal.list.title",
                       ("journal.write", "journal.read")),
    "diary": Section(_SCREENS + "diary", "DiaryScreen", "diary.title", "diary.read"),
    "unlock_requests": Section(_SCREENS + "unlock_requests", "UnlockRequestsScreen", "unlock.list.title",
                               "journal.unlock"),
    "announcements": Section(_SCREENS + "announcements", "AnnouncementsScreen", "announcements.title",
                             "announcements.post"),
    "support": Section(_SCREENS + "support", "SupportScreen", "support.title", "self.messages"),
    "report": Section(_SCREENS + "activity_report", "ActivityReportScreen", "activity.title", "reports.activity"),
    "year": Section(_SCREENS + "year", "YearScreen", "year.title", "year.manage"),
    "import": Section(_SCREENS + "imports", "ImportScreen", "import.title", "import.run"),
    "export": Section(_SCREENS + "exports", "ExportScreen", "export.title", "export.personal_data"),
}

# binding id -> (key, target of App.action_open)
NAV: dict[str, tuple[str, str]] = {
    "nav.dashboard": ("f2", "dashboard"),
    "nav.students": ("f3", "student"),
    "nav.staff": ("f4", "staff"),
    "nav.parents": ("f5", "parent"),
    "nav.classes": ("f6", "classes"),
    "nav.orders": ("f8", "orders"),  # f7 is the class filter of the students list
    "nav.menu": ("f12", "menu"),
}

# Keys the dashboard's footer leaves out: 80 columns hold four screens and the
# sections menu besides help and quit. They are in the
# help window (F1) and the palette like every other key.
NOT_IN_FOOTER = frozenset({"nav.orders", "nav.parents"})


def nav_bindings(*, show: bool) -> list[Binding]:
    """The navigation bindings; the app holds them hidden, the dashboard shows them in its footer."""
    return [bind(binding_id, key, f"app.open('{target}')", show=show and binding_id not in NOT_IN_FOOTER)
            for binding_id, (key, target) in NAV.items()]
