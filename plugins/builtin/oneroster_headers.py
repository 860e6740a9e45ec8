"""The exact OneRoster CSV headers, per version (from ../shared/reference/oneroster/headers.json: the 1EdTech CSV
binding 1.2.1 final of 31 Jan 2023, its one 1.2 difference, and the 1.1 lists derived from "changes from 1.1").

Headers are case-sensitive and in this exact order; extension columns may follow only as ``metadata.*``.
tests/test_oneroster.py checks these tuples against the reference file.
"""

from __future__ import annotations

HEADERS_1_2_1: dict[str, tuple[str, ...]] = {
    "academicSessions": ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear"),
    "categories": ("sourcedId", "status", "dateLastModified", "title", "weight"),
    "classes": ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
        "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"),
    "classResources": ("sourcedId", "status", "dateLastModified", "title", "classSourcedId",
        "resourceSourcedId"),
    "courseResources": ("sourcedId", "status", "dateLastModified", "title", "courseSourcedId",
        "resourceSourcedId"),
    "courses": ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
        "grades", "orgSourcedId", "subjects", "subjectCodes"),
    "demographics": ("sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
        "publicSchoolResidenceStatus"),
    "enrollments": ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate"),
    "lineItemLearningObjectiveIds": ("sourcedId", "status", "dateLastModified", "lineItemSourcedId", "source",
        "learningObjectiveId"),
    "lineItems": ("sourcedId", "status", "dateLastModified", "title", "description", "assignDate", "dueDate",
        "classSourcedId", "categorySourcedId", "academicSessionSourcedId", "resultValueMin", "resultValueMax",
        "schoolSourcedId"),
    "lineItemScoreScales": ("sourcedId", "status", "dateLastModified", "title", "lineItemSourcedId",
        "scoreScaleSourcedId"),
    "orgs": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
    "resources": ("sourcedId", "status", "dateLastModified", "vendorResourceId", "title", "roles",
        "importance", "vendorId", "applicationId"),
    "resultLearningObjectiveIds": ("sourcedId", "status", "dateLastModified", "resultSourcedId", "source",
        "learningObjectiveId", "score", "textScore"),
    "results": ("sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId",
        "scoreStatus", "score", "scoreDate", "comment", "textScore", "classSourcedId", "inProgress",
        "incomplete", "late", "missing"),
    "resultScoreScales": ("sourcedId", "status", "dateLastModified", "title", "resultSourcedId",
        "scoreScaleSourcedId"),
    "roles": ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
        "endDate", "orgSourcedId", "userProfileSourcedId"),
    "scoreScales": ("sourcedId", "status", "dateLastModified", "title", "type", "orgSourcedId",
        "courseSourcedId", "classSourcedId", "scoreScaleValue"),
    "userProfiles": ("sourcedId", "status", "dateLastModified", "userSourcedId", "profileType", "vendorId",
        "applicationId", "description", "credentialType", "username", "password"),
    "userResources": ("sourcedId", "status", "dateLastModified", "userSourcedId", "orgSourcedId",
        "classSourcedId", "resourceSourcedId"),
    "users": ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
        "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
        "password", "userMasterIdentifier", "preferredGivenName", "preferredMiddleName", "preferredFamilyName",
        "primaryOrgSourcedId", "pronouns"),}

HEADERS_1_1: dict[str, tuple[str, ...]] = {
    "academicSessions": ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear"),
    "classes": ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
        "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"),
    "classResources": ("sourcedId", "status", "dateLastModified", "title", "classSourcedId",
        "resourceSourcedId"),
    "courseResources": ("sourcedId", "status", "dateLastModified", "title", "courseSourcedId",
        "resourceSourcedId"),
    "courses": ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
        "grades", "orgSourcedId", "subjects", "subjectCodes"),
    "demographics": ("sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
        "publicSchoolResidenceStatus"),
    "enrollments": ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate"),
    "orgs": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
    "resources": ("sourcedId", "status", "dateLastModified", "vendorResourceId", "title", "roles",
        "importance", "vendorId", "applicationId"),
    "categories": ("sourcedId", "status", "dateLastModified", "title"),
    "lineItems": ("sourcedId", "status", "dateLastModified", "title", "description", "assignDate", "dueDate",
        "classSourcedId", "categorySourcedId", "gradingPeriodSourcedId", "resultValueMin", "resultValueMax"),
    "results": ("sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId",
        "scoreStatus", "score", "scoreDate", "comment"),
    "users": ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
        "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password"),}

_USERS = HEADERS_1_2_1["users"]
_AT = _USERS.index("userMasterIdentifier") + 1
# 1.2 (Sept 2022): users.csv had resourceSourcedIds between userMasterIdentifier and preferredGivenName.
USERS_1_2: tuple[str, ...] = (*_USERS[:_AT], "resourceSourcedIds", *_USERS[_AT:])
