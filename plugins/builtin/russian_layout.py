"""The column layout of Russian school lists (students, staff, parents) and the header synonyms recognised.

A layout is format-independent: CSV, XLSX or any plugin format hands the engine a table with a header row,
and the engine maps each header to a field through these synonyms (Russian and English, compared with case,
ё, spaces and punctuation folded away). `Column.header` is the canonical Russian header: exports and
templates write it, and it names the column in messages when the file has no such column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhurnal.core.validation import fold


@dataclass(frozen=True)
class Column:
    """One field of an entity as a list column: the field, its canonical header, the other names it goes by."""

    field: str
    header: str
    synonyms: tuple[str, ...] = ()
    export: bool = True  # written by exports (False: accepted on import only, like "ФИО")


_NON_WORD = re.compile(r"[\W_]+")


def header_key(text: str) -> str:
    """The matching key of a header: folded (case, ё), letters and digits only ("E-mail" == "email")."""
    return _NON_WORD.sub("", fold(text))


_FULL_NAME = ("Ф.И.О.", "фамилия имя отчество", "full name", "full_name", "fullname", "name")


def _person(*full_name: str) -> tuple[Column, ...]:
    """The person columns; `full_name` adds the entity's own names of a one-column ФИО."""
    return (*_PERSON[:3], Column("full_name", "ФИО", (*_FULL_NAME, *full_name), export=False), *_PERSON[3:])


_PERSON = (
    Column("last_name", "Фамилия", ("last name", "last_name", "lastname", "surname", "family name",
                                    "фамилия ученика", "фамилия обучающегося", "фамилия сотрудника",
                                    "фамилия родителя")),
    Column("first_name", "Имя", ("first name", "first_name", "firstname", "given name", "имя ученика",
                                 "имя обучающегося", "имя сотрудника", "имя родителя")),
    Column("middle_name", "Отчество", ("middle name", "middle_name", "middlename", "patronymic",
                                       "отчество (при наличии)", "отчество ученика", "отчество сотрудника",
                                       "отчество родителя")),
    Column("birth_date", "Дата рождения", ("дата рожд", "д р", "birth date", "birth_date", "birthdate",
                                           "date of birth", "dob", "birthday")),
    Column("sex", "Пол", ("sex", "gender")),
)
_CONTACTS = (
    Column("snils", "СНИЛС", ("snils", "страховой номер", "снилс ученика", "снилс сотрудника",
                              "снилс родителя")),
    Column("phone", "Телефон", ("тел", "телефон мобильный", "мобильный телефон", "контактный телефон", "phone",
                                "phone number", "mobile", "telephone")),
    Column("email", "E-mail", ("email", "e-mail", "эл. почта", "электронная почта", "эл почта", "почта", "mail")),
    Column("address", "Адрес", ("адрес проживания", "адрес регистрации", "address")),
    Column("external_id", "Внешний идентификатор", ("внешний id", "id", "идентификатор", "external id",
                                                    "external_id", "sourcedid", "guid", "uid")),
)
_ORDER = (
    Column("order_number", "Номер приказа", ("приказ №", "№ приказа", "приказ", "номер приказа о зачислении",
                                             "order number", "order_number", "order")),
    Column("order_date", "Дата приказа", ("order date", "order_date")),
)


def _parent(n: int) -> tuple[Column, ...]:
    return (
        Column(f"parent{n}_name", f"Родитель {n} ФИО", (f"ФИО родителя {n}", f"родитель {n}",
                                                        f"parent {n} name", f"parent{n}_name", f"parent {n}")),
        Column(f"parent{n}_phone", f"Родитель {n} телефон", (f"телефон родителя {n}", f"parent {n} phone",
                                                             f"parent{n}_phone")),
        Column(f"parent{n}_email", f"Родитель {n} e-mail", (f"родитель {n} email", f"родитель {n} эл. почта",
                                                            f"e-mail родителя {n}", f"parent {n} email",
                                                            f"parent{n}_email")),
        Column(f"parent{n}_relation", f"Родитель {n} кем приходится", (f"родитель {n} степень родства",
                                                                       f"parent {n} relation",
                                                                       f"parent{n}_relation")),
    )


STUDENTS = (
    *_person("ФИО ученика", "ФИО обучающегося", "ФИО ребёнка"),
    Column("class_name", "Класс", ("class", "class name", "class_name", "form", "grade class", "класс (буква)")),
    *_CONTACTS,
    *_ORDER,
    Column("start_date", "Дата зачисления", ("start date", "start_date", "enrolment date", "enrollment date"),
           export=False),
    # A row marked here ends the student's enrolment by a departure order (OneRoster tobedeleted); import only.
    Column("leave", "Выбытие", ("выбыл", "отчислен", "status", "статус записи"), export=False),
    Column("end_date", "Дата выбытия", ("дата отчисления", "end date", "end_date", "last day"), export=False),
    *_parent(1),
    *_parent(2),
)
STAFF = (
    *_person("ФИО сотрудника", "ФИО работника"),
    *_CONTACTS,
    Column("position", "Должность", ("position", "job title", "title", "должность сотрудника")),
    Column("rate", "Ставка", ("rate", "fte", "доля ставки")),
    *_ORDER,
    Column("start_date", "Дата приёма", ("дата приема на работу", "дата приёма на работу", "start date",
                                         "start_date", "hire date")),
    # A row marked here ends every position the person holds, by a dismissal order; import only.
    Column("leave", "Увольнение", ("уволен", "status", "статус записи"), export=False),
    Column("end_date", "Дата увольнения", ("end date", "end_date", "last day"), export=False),
)
PARENTS = (
    *_person("ФИО родителя", "ФИО представителя", "ФИО законного представителя"),
    *_CONTACTS,
    Column("relation", "Кем приходится", ("степень родства", "родство", "relation", "relationship")),
    Column("child_name", "ФИО ребёнка", ("ребёнок", "ФИО обучающегося", "ФИО ученика", "child name", "child_name",
                                         "child", "student name")),
    Column("child_birth_date", "Дата рождения ребёнка", ("child birth date", "child_birth_date",
                                                         "дата рождения обучающегося")),
    Column("child_snils", "СНИЛС ребёнка", ("child snils", "child_snils", "снилс обучающегося")),
    Column("child_class", "Класс ребёнка", ("child class", "класс обучающегося")),
)

SUBJECTS = (
    Column("name", "Предмет", ("название предмета", "учебный предмет", "наименование предмета", "subject",
                               "subject name", "subject_name", "name")),
    Column("short_name", "Краткое название", ("сокращение", "краткое наименование", "кратко", "short name",
                                              "short_name", "abbreviation", "code")),
)

CLASSES = (
    Column("year", "Учебный год", ("год", "уч. год", "academic year", "school year", "year")),
    Column("class_name", "Класс", ("название класса", "class", "class name", "class_name", "form")),
    Column("class_teacher", "Классный руководитель", ("кл. руководитель", "классный руководитель (ФИО)",
                                                      "class teacher", "class_teacher", "form tutor",
                                                      "homeroom teacher")),
)

ASSIGNMENTS = (
    Column("year", "Учебный год", ("год", "уч. год", "academic year", "school year", "year")),
    Column("class_name", "Класс", ("class", "class name", "class_name", "form")),
    Column("subject", "Предмет", ("учебный предмет", "название предмета", "subject", "subject name")),
    Column("teacher", "Учитель", ("ФИО учителя", "преподаватель", "педагог", "teacher", "teacher name")),
    Column("teacher_birth_date", "Дата рождения учителя", ("teacher birth date", "teacher_birth_date"),
           export=False),
    Column("teacher_external_id", "Внешний идентификатор учителя", ("внешний id учителя", "teacher id",
                                                                    "teacher external id", "teacher_external_id")),
    Column("subgroup", "Подгруппа", ("группа", "subgroup", "group")),
)

# Journal marks: export only (read-only; not in TITLES, so an import refuses them).
MARKS = (
    Column("class_name", "Класс"),
    Column("subject", "Предмет"),
    Column("subgroup", "Подгруппа"),
    Column("student", "Обучающийся"),
    Column("day", "Дата"),
    Column("lesson", "Урок"),
    Column("mark", "Отметка"),
    Column("work_type", "Вид работы"),
)

LAYOUTS: dict[str, tuple[Column, ...]] = {"students": STUDENTS, "staff": STAFF, "parents": PARENTS,
                                          "subjects": SUBJECTS, "classes": CLASSES, "assignments": ASSIGNMENTS,
                                          "marks": MARKS}
TITLES = {"students": "обучающиеся", "staff": "сотрудники", "parents": "родители (законные представители)",
          "subjects": "предметы", "classes": "классы", "assignments": "учебная нагрузка (назначения учителей)"}
PEOPLE = ("students", "staff", "parents")  # entities whose rows are persons: personal data
# Fields whose presence tells which entity a table holds when the user did not say.
DISTINCTIVE = {"staff": ("position",), "parents": ("child_name", "child_snils", "child_birth_date"),
               "students": ("class_name",)}

SEX_VALUES = {"м": "M", "муж": "M", "мужской": "M", "m": "M", "male": "M",
              "ж": "F", "жен": "F", "женский": "F", "f": "F", "female": "F"}
SEX_EXPORT = {"M": "М", "F": "Ж"}
# «Выбытие» / «Увольнение»: a leaving row, or not (folded cell text; OneRoster's statuses included).
LEAVE_VALUES = {"да": True, "выбыл": True, "выбыла": True, "уволен": True, "уволена": True, "tobedeleted": True,
                "yes": True, "true": True, "1": True, "нет": False, "active": False, "no": False, "false": False,
                "0": False}
RELATION_VALUES = {"мать": "mother", "мама": "mother", "mother": "mother", "отец": "father", "папа": "father",
                   "father": "father", "опекун": "guardian", "попечитель": "guardian", "опекун попечитель": "guardian",
                   "guardian": "guardian", "иной представитель": "other", "иное": "other", "другое": "other",
                   "законный представитель": "other", "other": "other"}
RELATION_EXPORT = {"mother": "мать", "father": "отец", "guardian": "опекун", "other": "иной представитель"}


def synonyms(entity: str) -> dict[str, str]:
    """header key -> field for one entity (the canonical header, the field name and every synonym)."""
    found: dict[str, str] = {}
    for column in LAYOUTS[entity]:
        for name in (column.header, column.field, *column.synonyms):
            found.setdefault(header_key(name), column.field)
    return found


def column(entity: str, field_name: str) -> Column | None:
    return next((c for c in LAYOUTS[entity] if c.field == field_name), None)
