"""The demo school's first quarter: accounts, lessons, marks, attendance, term marks and activity events.

`make_quarter` turns one generated school (its classes, teaching assignments, enrolments, families and staff)
into plain row dicts for the generator's Core inserts; it writes nothing itself. Everything is drawn from its
own `random.Random` (seed, school index), so adding the journal leaves the school's people unchanged and the
same seed gives the same quarter.

What the quarter holds and the gaps it leaves on purpose are described in docs/demo.md; in short:
- a weekly timetable per class from the curriculum's hours, a lesson per teaching assignment and slot on every
  school day of the first quarter up to `today` (a split subject's two subgroups share the slot);
- the teacher enters each lesson (topic, homework, attendance, marks) on the lesson day or later: prompt,
  evening and late teachers (late ones catch up once a week, within the grade-entry lock); a lesson a late
  teacher has not entered by `today` does not exist yet;
- marks by each student's ability, per work type (tests for the whole class, oral and homework marks for a
  few), more for subjects with more hours; grade 1 and ОРКСЭ are taught without marks;
- attendance: illnesses in streaks of school days, a few unexcused absences, some late arrivals;
- term marks once the quarter is over: the teacher confirms the suggestion (a few overridden, "н/а" with
  fewer than three marks); late teachers leave some assignments unconfirmed;
- accounts for teachers, the administration, students and parents; logins and diary views in the evening,
  some students and parents never log in, and in one class no parent ever did.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from zhurnal.core.demo import topics
from zhurnal.core.services.codes import login_base
from zhurnal.core.services.journal_rules import DEFAULT_WORK_TYPES, NOT_AVAILABLE
from zhurnal.core.services.term_marks import nearest_mark, weighted_average

__all__ = ["NO_MARKS_SUBJECTS", "QuarterInput", "QuarterRows", "make_quarter", "split_classes", "subgroup_rows"]

LOCAL_OFFSET = timedelta(hours=3)
"""The demo school's clock is Moscow time (UTC+3): the hours below are local, `at` columns are UTC."""

FIRST_LESSON_MINUTES = 8 * 60  # lesson 1 starts at 08:00; a lesson is 45 minutes, breaks make it 55
NO_MARKS_GRADES = frozenset({1})  # grade 1 is taught without marks
NO_MARKS_SUBJECTS = frozenset({"Основы религиозных культур и светской этики"})
CORE_SUBJECTS = frozenset({"Русский язык", "Математика", "Алгебра", "Геометрия", "Иностранный язык (английский)",
                           "Литература", "Литературное чтение", "Физика", "Химия"})
ENTRY_TESTS = frozenset({"Русский язык", "Математика", "Алгебра"})  # the September entry test
SCALE = ("1", "2", "3", "4", "5")

# Teachers: (share, probability of entering on the lesson day). Late teachers catch up on one day a week.
PROMPT, EVENING, LATE = "prompt", "evening", "late"
TEACHER_HABITS = ((PROMPT, 0.55), (EVENING, 0.30), (LATE, 0.15))
SAME_DAY = {PROMPT: 0.92, EVENING: 0.55, LATE: 0.12}
CONFIRMS_TERM_MARKS = {PROMPT: 1.0, EVENING: 0.95, LATE: 0.5}  # share of their assignments confirmed
LOCK_DAYS = 7  # the default grade-entry lock: even a late teacher enters within it
TERM_MARK_OVERRIDE = 0.04
MIN_MARKS_FOR_TERM = 3
TOP_UP_LESSONS = 4  # the last lessons of the quarter where a teacher adds marks to reach three

# Marks per present student in an ordinary lesson (oral or homework check), by subject weight.
P_MARK_CORE, P_MARK_OTHER, P_MARK_ONE_HOUR = 0.07, 0.06, 0.12
CHECK_EVERY = 12  # a checking work (whole class) every N lessons of an assignment
SELF_EVERY = 13  # an independent work for half the class (subjects of four hours and more)
CORRECTED = 0.01  # marks the teacher corrected later: only these carry mark history (see docs/demo.md)

# Attendance.
ILLNESS_EPISODES = 0.5  # per student per quarter (mean)
ILLNESS_DAYS = (2, 7)  # school days in a row
ABSENT_LESSONS = 0.6  # unexcused missed lessons per student per quarter (mean)
LATE_DAYS = 0.5  # days late for the first lesson per student per quarter (mean)
EXCUSED_STUDENTS = 0.03  # an olympiad or a competition: a day excused

# Logins: a probability per day for each habit; weekends at half the rate.
STUDENT_HABITS = (("never", 0.14), ("rare", 0.30), ("regular", 0.40), ("daily", 0.16))
PARENT_HABITS = (("never", 0.22), ("rare", 0.38), ("regular", 0.32), ("daily", 0.08))
YOUNG_STUDENT_NEVER = {1: 0.9, 2: 0.6, 3: 0.4, 4: 0.25}  # primary pupils mostly leave it to their parents
LOGIN_RATE = {"never": 0.0, "rare": 0.03, "regular": 0.1, "daily": 0.3}


@dataclass(frozen=True)
class Assignment:
    id: int
    class_id: int
    grade: int
    subject: str
    subject_id: int
    teacher_id: int
    subgroup: str | None


@dataclass(frozen=True)
class QuarterInput:
    """One generated school, as the quarter needs it."""

    school_id: int
    year_id: int
    quarter: tuple[date, date]  # the first quarter's dates
    today: date
    now: datetime
    password_hash: str  # of a random secret nobody knows: accounts that logged in have a password
    classes: dict[int, tuple[int, str, int]]  # class id -> (grade, name, class teacher id)
    assignments: list[Assignment]
    enrolments: list[dict[str, Any]]  # person_id, class_id, start_date, end_date
    students: list[dict[str, Any]]  # person rows
    parents_of: dict[int, list[dict[str, Any]]]  # student id -> parent person rows
    staff: list[tuple[dict[str, Any], str]]  # (person row, position)
    logins: set[str]  # taken logins (shared by the schools of one build)


@dataclass
class QuarterRows:
    """Rows for insert_rows, by table; `audited_users` are the staff accounts audited one by one."""

    work_types: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    audited_users: list[dict[str, Any]] = field(default_factory=list)
    lessons: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    attendance: list[dict[str, Any]] = field(default_factory=list)
    term_marks: list[dict[str, Any]] = field(default_factory=list)
    term_mark_history: list[dict[str, Any]] = field(default_factory=list)  # each term mark's confirmation
    activity: list[dict[str, Any]] = field(default_factory=list)


def moment(day: date, minutes: int) -> datetime:
    """`minutes` after local midnight of `day`, as a UTC moment."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes) - LOCAL_OFFSET


def school_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def timetable(rng: random.Random, hours: Sequence[tuple[str, int]]) -> list[list[str]]:
    """Monday..Friday, each the day's subjects in lesson order: a subject's hours on different days where it
    can, the days about equally long."""
    days: list[list[str]] = [[] for _ in range(5)]
    for subject, h in sorted(hours, key=lambda item: (-item[1], item[0])):
        for _ in range(h):
            best = min(range(5), key=lambda d: (days[d].count(subject), len(days[d]), rng.random()))
            days[best].append(subject)
    for day in days:
        rng.shuffle(day)
    return days


@dataclass
class _Member:
    student_id: int
    start: date
    end: date | None
    group: str


def split_classes(quarter: tuple[date, date], enrolments: Sequence[dict[str, Any]],
                  students: Sequence[dict[str, Any]]) -> dict[int, list[_Member]]:
    """Class id -> every student enrolled there during the quarter, with a subgroup (first half of the
    alphabet "1 группа"): the split of every subject taught in subgroups."""
    first, last = quarter
    names = {s["id"]: (s["name_key"], s["id"]) for s in students}
    by_class: dict[int, list[_Member]] = defaultdict(list)
    for e in enrolments:
        if e["start_date"] <= last and (e["end_date"] is None or e["end_date"] >= first):
            by_class[e["class_id"]].append(_Member(e["person_id"], e["start_date"], e["end_date"], ""))
    for members in by_class.values():
        members.sort(key=lambda m: names[m.student_id])
        for n, m in enumerate(members):
            m.group = "1 группа" if n < (len(members) + 1) // 2 else "2 группа"
    return by_class


def subgroup_rows(school_id: int, split: dict[int, list[_Member]],
                  assignments: Sequence[tuple[int, int, str | None]]) -> list[dict[str, Any]]:
    """SubgroupMember rows of every class and subject taught in subgroups (assignments: class id, subject id,
    subgroup), as `split_classes` split the class; a student in the class twice in the quarter counts once."""
    rows: list[dict[str, Any]] = []
    for class_id, subject_id in sorted({(c, s) for c, s, group in assignments if group is not None}):
        seen: set[int] = set()
        for m in split.get(class_id, []):
            if m.student_id not in seen:
                seen.add(m.student_id)
                rows.append({"school_id": school_id, "class_id": class_id, "subject_id": subject_id,
                             "student_id": m.student_id, "subgroup": m.group, "version": 1})
    return rows


class _Quarter:
    def __init__(self, q: QuarterInput, rng: random.Random, reserve: Any) -> None:
        self.q, self.rng, self.reserve = q, rng, reserve
        self.rows = QuarterRows()
        first, last = q.quarter
        self.all_days = school_days(first, last)
        self.days = [d for d in self.all_days if d <= q.today]
        self.quarter_over = last < q.today
        self.users: dict[int, dict[str, Any]] = {}  # person id -> user row
        self.last_login: dict[int, datetime] = {}  # user id -> last login
        self.classes_of: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
        for e in q.enrolments:
            self.classes_of[e["person_id"]].append((e["class_id"], e["start_date"], e["end_date"]))

    # ---- accounts ------------------------------------------------------------------------------------

    def login_for(self, base: str) -> str:
        login, n = base, 1
        while login in self.q.logins:
            n += 1
            login = f"{base}{n}"
        self.q.logins.add(login)
        return login

    def make_accounts(self) -> None:
        q = self.q
        class_teachers = {teacher for _, _, teacher in q.classes.values()}
        people: list[tuple[dict[str, Any], tuple[str, ...], bool]] = []  # (person, roles, audited)
        for person, position in q.staff:
            if position == "Учитель":
                roles: tuple[str, ...] = ("teacher", "class_teacher") if person["id"] in class_teachers \
                    else ("teacher",)
            elif position.startswith(("Директор", "Заместитель директора")):
                roles = ("deputy",)
            else:
                continue
            people.append((person, roles, True))
        people += [(s, ("student",), False) for s in q.students]
        seen: set[int] = set()
        for student in q.students:
            for parent in q.parents_of[student["id"]]:
                if parent["id"] not in seen:
                    seen.add(parent["id"])
                    people.append((parent, ("parent",), False))
        ids = self.reserve("users", len(people))
        for (person, roles, audited), uid in zip(people, ids, strict=True):
            login = self.login_for(login_base(person["last_name"], person["first_name"]))
            row = {"id": uid, "login": login, "person_id": person["id"], "school_id": q.school_id,
                   "password_hash": None, "must_change_password": True, "is_active": True, "failed_logins": 0,
                   "locked_until": None, "last_login_at": None, "created_at": q.now, "version": 1}
            self.users[person["id"]] = row
            self.rows.users.append(row)
            if audited:
                self.rows.audited_users.append(row)
            for role in roles:
                self.rows.grants.append({"user_id": uid, "role": role, "school_id": q.school_id,
                                         "granted_by": None, "granted_at": q.now})

    def event(self, user_id: int, at: datetime, kind: str, class_id: int | None = None,
              lesson: dict[str, Any] | None = None) -> None:
        day = (at + LOCAL_OFFSET).date()
        self.rows.activity.append({
            "school_id": self.q.school_id, "user_id": user_id, "at": at, "day": day, "kind": kind,
            "class_id": class_id if lesson is None else lesson["class_id"],
            "lesson_id": None if lesson is None else lesson["id"],
            "lesson_day": None if lesson is None else lesson["day"]})

    def login(self, user_id: int, at: datetime) -> None:
        self.event(user_id, at, "login")
        if at > self.last_login.get(user_id, at - timedelta(seconds=1)):
            self.last_login[user_id] = at

    def finish_accounts(self) -> None:
        """Accounts that logged in have a password (unknown: reset it to try them) and a last login."""
        for row in self.rows.users:
            last = self.last_login.get(row["id"])
            if last is not None:
                row.update(password_hash=self.q.password_hash, must_change_password=False, last_login_at=last)

    # ---- the journal ---------------------------------------------------------------------------------

    def work_types(self) -> dict[str, tuple[int, Decimal]]:
        ids = self.reserve("work_types", len(DEFAULT_WORK_TYPES))
        found = {}
        for (name, weight, default), wid in zip(DEFAULT_WORK_TYPES, ids, strict=True):
            self.rows.work_types.append({"id": wid, "school_id": self.q.school_id, "name": name, "weight": weight,
                                         "is_default": default, "archived": False, "version": 1})
            found[name] = (wid, weight)
        return found

    def members(self) -> dict[int, list[_Member]]:
        return split_classes(self.q.quarter, self.q.enrolments, self.q.students)

    def absences(self) -> tuple[dict[date, dict[int, str]], dict[tuple[date, int], dict[int, str]]]:
        """Statuses other than present: by day (illness in streaks of school days, an excused day) and by
        (day, lesson number) (a missed lesson; late for the first lesson)."""
        rng, days = self.rng, self.all_days
        by_day: dict[date, dict[int, str]] = defaultdict(dict)
        by_lesson: dict[tuple[date, int], dict[int, str]] = defaultdict(dict)
        for student in self.q.students:
            sid = student["id"]
            for _ in range(sum(1 for _ in range(3) if rng.random() < ILLNESS_EPISODES / 3)):
                start = rng.randrange(len(days))
                for day in days[start:start + rng.randint(*ILLNESS_DAYS)]:
                    by_day[day][sid] = "sick"
            if rng.random() < EXCUSED_STUDENTS:
                by_day[rng.choice(days)].setdefault(sid, "excused")
            for _ in range(sum(1 for _ in range(3) if rng.random() < ABSENT_LESSONS / 3)):
                by_lesson[(rng.choice(days), rng.randint(2, 6))][sid] = "absent"
            for _ in range(sum(1 for _ in range(2) if rng.random() < LATE_DAYS / 2)):
                by_lesson[(rng.choice(days), 1)][sid] = "late"
        return by_day, by_lesson

    def entry(self, habit: str, catch_up: int, day: date, number: int) -> datetime:
        """When the teacher entered the lesson: the same day after it, or later (late teachers: their weekly
        catch-up day, within the lock)."""
        rng = self.rng
        lesson_end = FIRST_LESSON_MINUTES + (number - 1) * 55 + 45
        if rng.random() < SAME_DAY[habit]:
            return moment(day, min(22 * 60, lesson_end + rng.randint(2, 9 * 60)))
        if habit == LATE:
            later = day + timedelta(days=2)
            while later.weekday() != catch_up:
                later += timedelta(days=1)
            later = min(later, day + timedelta(days=LOCK_DAYS))
        else:
            later = day + timedelta(days=rng.choice((1, 1, 1, 2, 3)))
        return moment(later, rng.randint(16 * 60, 22 * 60 + 30))

    def make_journal(self) -> None:
        q, rng, rows = self.q, self.rng, self.rows
        work = self.work_types()
        classwork, homework_wt = work["Работа на уроке"], work["Домашняя работа"]
        self_wt, check_wt, test_wt = (work["Самостоятельная работа"], work["Проверочная работа"],
                                      work["Контрольная работа"])
        members = self.members()
        by_day, by_lesson = self.absences()
        ability = {s["id"]: min(4.9, max(2.4, rng.gauss(3.95, 0.55))) for s in q.students}
        talent: dict[tuple[int, str], float] = {}

        teachers = sorted({a.teacher_id for a in q.assignments})
        habit_names, habit_weights = [n for n, _ in TEACHER_HABITS], [w for _, w in TEACHER_HABITS]
        habits = {t: rng.choices(habit_names, weights=habit_weights)[0] for t in teachers}
        if LATE not in habits.values():
            habits[teachers[rng.randrange(len(teachers))]] = LATE
        catch_up = {t: rng.choice((4, 5, 6)) for t in teachers}  # Friday, Saturday or Sunday

        by_class: dict[int, list[Assignment]] = defaultdict(list)
        for a in q.assignments:
            by_class[a.class_id].append(a)
        weekly: dict[int, list[list[str]]] = {}
        for class_id, assignments in by_class.items():
            subjects = {a.subject: a.grade for a in assignments}
            weekly[class_id] = timetable(rng, [(s, _HOURS[s][g]) for s, g in subjects.items()])

        # Every lesson slot of the quarter, per assignment, in date order.
        slots: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for class_id, assignments in by_class.items():
            by_subject: dict[str, list[Assignment]] = defaultdict(list)
            for a in assignments:
                by_subject[a.subject].append(a)
            for day in self.all_days:
                for number, subject in enumerate(weekly[class_id][day.weekday()], 1):
                    for a in by_subject[subject]:
                        slots[a.id].append((day, number))

        lesson_ids = iter(self.reserve("lessons", sum(1 for a in q.assignments for d, _ in slots[a.id]
                                                       if d <= q.today)))
        marks_by: dict[tuple[int, int], list[tuple[Decimal, Decimal]]] = defaultdict(list)
        mark_rows: list[dict[str, Any]] = []
        roster_cache: dict[tuple[int, date, str | None], list[int]] = {}
        school_id = q.school_id
        for a in q.assignments:
            teacher_user = self.users[a.teacher_id]["id"]
            habit = habits[a.teacher_id]
            planned = slots[a.id]
            total = len(planned)
            subject_topics = topics.TOPICS[a.subject]
            hw_kind = topics.homework_kind(a.subject) if a.grade > 1 else None
            with_marks = a.grade not in NO_MARKS_GRADES and a.subject not in NO_MARKS_SUBJECTS
            weekly_hours = _HOURS[a.subject][a.grade]
            tests: set[int] = set()
            if with_marks and total:
                if weekly_hours >= 2:
                    tests.add(total - 1 - rng.randrange(min(3, total)))  # the quarter's test, in its last days
                if a.subject in ENTRY_TESTS and total > 8:
                    tests.add(rng.randint(3, 6))
            every = CHECK_EVERY if weekly_hours >= 2 else max(3, total // 2 - 1)
            checks = {k for k in range(rng.randrange(2, every + 1), total, every)} - tests
            selfs = {k for k in range(rng.randrange(3, SELF_EVERY + 1), total, SELF_EVERY)} - tests - checks \
                if weekly_hours >= 4 else set()
            p_mark = P_MARK_CORE if a.subject in CORE_SUBJECTS else (
                P_MARK_ONE_HOUR if weekly_hours == 1 else P_MARK_OTHER)
            counts: dict[int, int] = defaultdict(int)  # marks per student in this journal
            seen: set[tuple[int, int]] = set()  # (lesson, student) with a mark
            recent: list[tuple[dict[str, Any], list[int], datetime]] = []  # the last lessons, for topping up

            def add(lesson: dict[str, Any], at: datetime, given: list[tuple[int, tuple[int, Decimal], float]],
                    a: Assignment = a, counts: dict[int, int] = counts, seen: set[tuple[int, int]] = seen,
                    teacher_user: int = teacher_user) -> None:
                for sid, (wt_id, weight), shift in given:
                    bias = talent.get((sid, a.subject))
                    if bias is None:
                        bias = talent[(sid, a.subject)] = rng.gauss(0, 0.35)
                    value = round(ability[sid] + bias + shift + rng.gauss(0, 0.75))
                    value = 5 if value > 5 else (2 if value < 2 else value)
                    mark_rows.append({"id": 0, "school_id": school_id, "lesson_id": lesson["id"], "student_id": sid,
                                      "work_type_id": wt_id, "value": SCALE[value - 1], "entered_by": teacher_user,
                                      "entered_at": at, "deleted_at": None, "version": 1})
                    marks_by[(sid, a.subject_id)].append((Decimal(value), weight))
                    counts[sid] += 1
                    seen.add((lesson["id"], sid))
                if given:
                    self.event(teacher_user, at, "mark", lesson=lesson)
            for k, (day, number) in enumerate(planned):
                if day > q.today:
                    break
                lesson_id = next(lesson_ids)
                at = self.entry(habit, catch_up[a.teacher_id], day, number)
                if at + LOCAL_OFFSET >= datetime(q.today.year, q.today.month, q.today.day, tzinfo=UTC) \
                        + timedelta(days=1):
                    continue  # not entered yet: the lesson is not in the journal
                topic = subject_topics[min(len(subject_topics) - 1, k * len(subject_topics) // max(1, total))]
                if k in tests:
                    topic = f"Контрольная работа: {topic.lower()}" if k > 8 else "Входная контрольная работа"
                elif k in checks:
                    topic = f"Проверочная работа: {topic.lower()}"
                homework = None
                if hw_kind is not None and k not in tests and rng.random() < 0.85:
                    homework = rng.choice(topics.HOMEWORK[hw_kind]).format(
                        p=4 + k * 3, p2=7 + k * 3, n=5 + k * 4, n1=6 + k * 4, n3=8 + k * 4, k=1 + k // 2)
                lesson = {"id": lesson_id, "school_id": school_id, "assignment_id": a.id, "class_id": a.class_id,
                          "day": day, "number": number, "topic": topic, "homework": homework,
                          "subgroup": a.subgroup, "attendance_taken": True, "created_by": teacher_user,
                          "created_at": at, "deleted_at": None, "version": 1}
                rows.lessons.append(lesson)
                key = (a.class_id, day, a.subgroup)
                roster = roster_cache.get(key)
                if roster is None:
                    roster = [m.student_id for m in members[a.class_id]
                              if m.start <= day and (m.end is None or m.end >= day)
                              and (a.subgroup is None or m.group == a.subgroup)]
                    roster_cache[key] = roster
                away = {**by_day.get(day, {}), **by_lesson.get((day, number), {})}
                present = roster
                if away:
                    present = []
                    for sid in roster:
                        status = away.get(sid)
                        if status is not None:
                            rows.attendance.append({"school_id": school_id, "lesson_id": lesson_id,
                                                    "student_id": sid, "status": status, "entered_by": teacher_user,
                                                    "entered_at": at, "version": 1})
                        if status is None or status == "late":
                            present.append(sid)
                for kind in ("topic", "homework", "attendance"):
                    if kind != "homework" or homework:
                        self.event(teacher_user, at, kind, lesson=lesson)
                if not with_marks or not present:
                    continue
                recent = [*recent[-(TOP_UP_LESSONS - 1):], (lesson, present, at)]
                if k in tests:
                    given = [(sid, test_wt, -0.25) for sid in present]
                elif k in checks:
                    given = [(sid, check_wt, -0.1) for sid in present]
                elif k in selfs:
                    given = [(sid, self_wt, 0.0) for sid in present if rng.random() < 0.5]
                else:
                    spread = (len(present) * p_mark * (1 - p_mark)) ** 0.5
                    count = min(len(present), max(0, round(rng.gauss(len(present) * p_mark, spread))))
                    given = [(sid, homework_wt if hw_kind and rng.random() < 0.3 else classwork, 0.15)
                             for sid in rng.sample(present, count)]
                add(lesson, at, given)
            # Before the quarter closes the teacher makes sure everyone present has three marks.
            if with_marks and self.quarter_over:
                for lesson, present, at in recent:
                    add(lesson, at, [(sid, classwork, 0.15) for sid in present
                                     if counts[sid] < MIN_MARKS_FOR_TERM and (lesson["id"], sid) not in seen])

        for row, mark_id in zip(mark_rows, self.reserve("marks", len(mark_rows)), strict=True):
            row["id"] = mark_id
            if rng.random() < CORRECTED:  # a slip corrected a day or two later: the history shows both steps
                first = SCALE[min(4, max(1, int(row["value"]) + rng.choice((-2, -1, 1)))) - 1]
                later = row["entered_at"] + timedelta(days=rng.randint(1, 2), minutes=rng.randint(0, 120))
                later = min(later, moment(q.today, 22 * 60))
                rows.history += [
                    {"mark_id": mark_id, "changed_by": row["entered_by"], "changed_at": row["entered_at"],
                     "old_value": None, "new_value": first},
                    {"mark_id": mark_id, "changed_by": row["entered_by"], "changed_at": later,
                     "old_value": first, "new_value": row["value"]}]
                row["entered_at"] = later
        rows.marks = mark_rows
        if self.quarter_over:
            self.make_term_marks(members, habits, marks_by)
        self.teacher_logins()

    def make_term_marks(self, members: dict[int, list[_Member]], habits: dict[int, str],
                        marks_by: dict[tuple[int, int], list[tuple[Decimal, Decimal]]]) -> None:
        """The teacher confirms each student's suggestion (a few overridden; "н/а" with too few marks)."""
        q, rng = self.q, self.rng
        last = q.quarter[1]
        for a in q.assignments:
            if a.grade in NO_MARKS_GRADES or a.subject in NO_MARKS_SUBJECTS:
                continue
            if rng.random() >= CONFIRMS_TERM_MARKS[habits[a.teacher_id]]:
                continue
            _grade, class_name, _ = q.classes[a.class_id]
            user_id = self.users[a.teacher_id]["id"]
            day = min(q.today, last + timedelta(days=rng.randint(-3, 4)))
            at = moment(day, rng.randint(15 * 60, 22 * 60))
            for m in members[a.class_id]:
                if not (m.start <= last and (m.end is None or m.end >= last)):
                    continue
                if a.subgroup is not None and m.group != a.subgroup:
                    continue
                pairs = marks_by.get((m.student_id, a.subject_id), [])
                average = weighted_average(pairs)
                suggested = nearest_mark(average, SCALE)
                if len(pairs) < MIN_MARKS_FOR_TERM or suggested is None:
                    value = NOT_AVAILABLE
                elif rng.random() < TERM_MARK_OVERRIDE and average is not None:
                    step = 1 if average >= Decimal(suggested) else -1
                    value = str(min(5, max(2, int(suggested) + step)))
                else:
                    value = suggested
                key = {"school_id": q.school_id, "year_id": q.year_id, "term_kind": "quarter", "term_number": 1,
                       "student_id": m.student_id, "subject_id": a.subject_id, "class_id": a.class_id,
                       "subject_name": a.subject, "class_name": class_name}
                self.rows.term_marks.append({**key, "value": value, "suggested": average, "confirmed_by": user_id,
                                             "confirmed_at": at, "version": 1})
                self.rows.term_mark_history.append({**key, "changed_by": user_id, "changed_at": at,
                                                    "old_value": None, "new_value": value})

    # ---- logins and diary views ----------------------------------------------------------------------

    def teacher_logins(self) -> None:
        """A teacher signs in once on each day they enter lessons (just before the first entry), and on some
        other school days to look at the journal; the administration most school days."""
        rng = self.rng
        first_entry: dict[tuple[int, date], datetime] = {}
        for e in self.rows.activity:
            key = (e["user_id"], e["day"])
            if key not in first_entry or e["at"] < first_entry[key]:
                first_entry[key] = e["at"]
        for (user_id, _day), at in sorted(first_entry.items()):
            self.login(user_id, at - timedelta(minutes=rng.randint(1, 5)))
        for person, position in self.q.staff:
            user = self.users.get(person["id"])
            if user is None:
                continue
            teacher = position == "Учитель"
            for day in self.days:
                if rng.random() < (0.2 if teacher else 0.7) and (user["id"], day) not in first_entry:
                    self.login(user["id"], moment(day, rng.randint(7 * 60 + 30, 17 * 60)))

    def class_on(self, student_id: int, day: date) -> int | None:
        for class_id, start, end in self.classes_of[student_id]:
            if start <= day and (end is None or end >= day):
                return class_id
        return None

    def family_logins(self) -> None:
        """Students in the evening, parents in the morning, at lunch or in the evening; each login reads the
        diary (a parent: each child's). Never-users, and one class whose parents never signed in at all."""
        q, rng = self.q, self.rng
        first, last = q.quarter
        calendar = [first + timedelta(days=n) for n in range((min(last, q.today) - first).days + 1)]
        grades = {cid: grade for cid, (grade, _, _) in q.classes.items()}
        gap_classes = [cid for cid, g in sorted(grades.items()) if 5 <= g <= 9]
        quiet_class = rng.choice(gap_classes) if gap_classes else None
        s_names, s_weights = [n for n, _ in STUDENT_HABITS], [w for _, w in STUDENT_HABITS]
        p_names, p_weights = [n for n, _ in PARENT_HABITS], [w for _, w in PARENT_HABITS]
        children: dict[int, list[int]] = defaultdict(list)
        quiet_parents: set[int] = set()
        for student in q.students:
            sid = student["id"]
            classes = {c for c, _, _ in self.classes_of[sid]}
            for parent in q.parents_of[sid]:
                children[parent["id"]].append(sid)
                if quiet_class in classes:
                    quiet_parents.add(parent["id"])
            grade = grades[self.classes_of[sid][0][0]]
            habit = "never" if rng.random() < YOUNG_STUDENT_NEVER.get(grade, 0.0) else \
                rng.choices(s_names, weights=s_weights)[0]
            self.visits(self.users[sid]["id"], [sid], LOGIN_RATE[habit], calendar, (16 * 60, 22 * 60 + 30))
        for parent_id, kids in children.items():
            habit = "never" if parent_id in quiet_parents else rng.choices(p_names, weights=p_weights)[0]
            window = rng.choice(((7 * 60, 8 * 60 + 30), (12 * 60, 14 * 60), (19 * 60, 23 * 60)))
            self.visits(self.users[parent_id]["id"], kids, LOGIN_RATE[habit], calendar, window)

    def visits(self, user_id: int, kids: list[int], rate: float, calendar: list[date],
               window: tuple[int, int]) -> None:
        if rate <= 0:
            return
        rng = self.rng
        for day in calendar:
            if rng.random() >= (rate if day.weekday() < 5 else rate / 2):
                continue
            at = moment(day, rng.randint(*window))
            self.login(user_id, at)
            for n, kid in enumerate(kids):
                class_id = self.class_on(kid, day)
                if class_id is not None:
                    self.event(user_id, at + timedelta(minutes=1 + n), "diary_view", class_id=class_id)


def _hours() -> dict[str, dict[int, int]]:
    from zhurnal.core.demo import names

    return {s.name: {g: int(h) for g, h in s.hours.items()} for s in names.SUBJECTS}


_HOURS = _hours()


def make_quarter(q: QuarterInput, seed: int, index: int, reserve: Any) -> QuarterRows:
    """The rows of one school's first quarter. `reserve(table_name, count)` returns `count` new ids."""
    quarter = _Quarter(q, random.Random(f"zhurnal-demo:{seed}:journal:{index}"), reserve)
    quarter.make_accounts()
    if quarter.all_days and q.quarter[0] <= q.today:
        quarter.make_journal()
        quarter.family_logins()
    quarter.finish_accounts()
    return quarter.rows
