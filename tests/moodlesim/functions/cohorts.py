"""core_cohort_* functions (docs/moodle-behaviour.md#cohort-add-warnings, #cohort-reads-and-removals)."""

from .. import php
from ..errors import coding_exception, invalid_parameter, missing_record
from ..params import (
    DEFAULT,
    OPTIONAL,
    PARAM_ALPHA,
    PARAM_ALPHANUMEXT,
    PARAM_BOOL,
    PARAM_INT,
    PARAM_RAW,
    PARAM_THEME,
    Multiple,
    Single,
    Value,
    warnings_description,
)
from ..state import CONTEXT_COURSECAT, CONTEXT_SYSTEM, SYSTEM_CONTEXT

MANAGE = "moodle/cohort:manage"
ASSIGN = "moodle/cohort:assign"
VIEW = "moodle/cohort:view"

_TYPE_VALUE = Single({"type": Value(PARAM_ALPHANUMEXT), "value": Value(PARAM_RAW)})
ADD_PARAMETERS = Single({"members": Multiple(Single({"cohorttype": _TYPE_VALUE, "usertype": _TYPE_VALUE}))})
ADD_RETURNS = Single({"warnings": warnings_description()})
DELETE_PARAMETERS = Single({"members": Multiple(Single({"cohortid": Value(PARAM_INT), "userid": Value(PARAM_INT)}))})
GET_MEMBERS_PARAMETERS = Single({"cohortids": Multiple(Value(PARAM_INT))})
GET_MEMBERS_RETURNS = Multiple(Single({"cohortid": Value(PARAM_INT), "userids": Multiple(Value(PARAM_INT))}))
GET_COHORTS_PARAMETERS = Single({"cohortids": Multiple(Value(PARAM_INT), DEFAULT, {})})
COHORT_DESCRIPTION = Single(
    {
        "id": Value(PARAM_INT),
        "name": Value(PARAM_RAW),
        "idnumber": Value(PARAM_RAW),
        "description": Value(PARAM_RAW),
        "descriptionformat": Value(PARAM_INT),
        "visible": Value(PARAM_BOOL),
        "theme": Value(PARAM_THEME, OPTIONAL),
        "customfields": Multiple(
            Single(
                {
                    "name": Value(PARAM_RAW),
                    "shortname": Value(PARAM_RAW),
                    "type": Value(PARAM_RAW),
                    "valueraw": Value(PARAM_RAW),
                    "value": Value(PARAM_RAW),
                }
            ),
            OPTIONAL,
        ),
    }
)
SEARCH_PARAMETERS = Single(
    {
        "query": Value(PARAM_RAW),
        "context": Single(
            {
                "contextid": Value(PARAM_INT, DEFAULT, 0),
                "contextlevel": Value(PARAM_ALPHA, DEFAULT, ""),
                "instanceid": Value(PARAM_INT, DEFAULT, 0),
            }
        ),
        "includes": Value(PARAM_ALPHA, DEFAULT, "parents"),
        "limitfrom": Value(PARAM_INT, DEFAULT, 0),
        "limitnum": Value(PARAM_INT, DEFAULT, 25),
    }
)


def cohort_record(cohort):
    return {
        "id": cohort.id,
        "name": cohort.name,
        "idnumber": cohort.idnumber,
        "description": cohort.description,
        "descriptionformat": cohort.descriptionformat,
        "visible": cohort.visible,
        "theme": cohort.theme,
        "customfields": [],
    }


def _same(site, left, right):
    if site.settings["email_case_sensitive"]:
        return left == right
    return left.lower() == right.lower()


def _find_cohort(site, kind, value):
    if kind == "id":
        if not php.is_numeric(value):
            return None
        cohort = site.cohorts.get(php.intval(value))
        return cohort.id if cohort else None
    for cohort in sorted(site.cohorts.values(), key=lambda c: c.id):
        if _same(site, cohort.idnumber, value):
            return cohort.id
    return None


def _find_user(site, kind, value):
    if kind == "id":
        user = site.users.get(php.intval(value)) if php.is_numeric(value) else None
        candidates = [user] if user else []
    else:
        candidates = [site.users[i] for i in sorted(site.find_ids("username", value))]
    for user in candidates:
        if not user.deleted:
            return user.id
    return None


def add_cohort_members(call, members):
    site = call.site
    warnings = []
    added = []  # one transaction: a nopermissions error rolls back the members added before it
    for member in members:
        ctype, cvalue = member["cohorttype"]["type"], member["cohorttype"]["value"]
        utype, uvalue = member["usertype"]["type"], member["usertype"]["value"]
        if ctype not in ("id", "idnumber"):
            warnings.append({"warningcode": "1", "message": "invalid parameter: cohortype=" + ctype})
            continue
        if utype not in ("id", "username"):
            warnings.append({"warningcode": "1", "message": "invalid parameter: usertype=" + utype})
            continue
        cohortid = _find_cohort(site, ctype, cvalue)
        if cohortid is None:
            warnings.append({"warningcode": "2", "message": "cohort %s=%s not exists" % (ctype, cvalue)})
            continue
        userid = _find_user(site, utype, uvalue)
        if userid is None:
            warnings.append({"warningcode": "2", "message": "user %s=%s not exists" % (utype, uvalue)})
            continue
        if userid in site.cohorts[cohortid].members or (cohortid, userid) in added:
            warnings.append(
                {
                    "warningcode": "3",
                    "message": "record already exists: cohort(%s=%s %s=%s)" % (ctype, cvalue, utype, uvalue),
                }
            )
            continue
        # The capability comes after the existence checks (docs/moodle-behaviour.md#cohort-add-warnings).
        call.require_any((MANAGE, ASSIGN), ASSIGN)
        added.append((cohortid, userid))
    for cohortid, userid in added:
        site.cohorts[cohortid].members[userid] = call.now
    return {"warnings": warnings}


def _cohort_or_fail(site, cohortid):
    cohort = site.cohorts.get(cohortid)
    if cohort is None:
        raise missing_record("cohort", "SELECT * FROM {cohort} WHERE id = ?", [cohortid])
    return cohort


def delete_cohort_members(call, members):
    site = call.site
    removed = []
    for member in members:
        cohort = _cohort_or_fail(site, member["cohortid"])
        user = site.users.get(member["userid"])
        if user is None or user.deleted:
            raise missing_record(
                "user",
                "SELECT * FROM {user} WHERE id = ? AND deleted = ? AND mnethostid = ?",
                [member["userid"], 0, "1"],
            )
        call.require_any((MANAGE, ASSIGN), ASSIGN)
        removed.append((cohort, user.id))
    for cohort, userid in removed:  # a non-member is silently fine (docs/moodle-behaviour.md#cohort-reads-and-removals)
        cohort.members.pop(userid, None)
    return None


def get_cohort_members(call, cohortids):
    site = call.site
    result = []
    for cohortid in cohortids:
        cohort = _cohort_or_fail(site, cohortid)
        call.require_any((MANAGE, VIEW), VIEW)
        users = [site.users[uid] for uid in cohort.members if uid in site.users]
        users.sort(key=lambda u: (u.lastname, u.firstname, u.id))  # ORDER BY lastname, firstname
        result.append({"cohortid": cohortid, "userids": [u.id for u in users]})
    return result


def get_cohorts(call, cohortids):
    site = call.site
    if cohortids:
        cohorts = [site.cohorts[i] for i in sorted(set(cohortids)) if i in site.cohorts]
    else:
        cohorts = sorted(site.cohorts.values(), key=lambda c: c.id)
    result = []
    for cohort in cohorts:
        call.require_any((MANAGE, VIEW), VIEW)
        result.append(cohort_record(cohort))
    return result


def _context_from_params(site, context):
    if context["contextid"]:
        if context["contextid"] not in site.contexts:
            raise invalid_parameter("Context does not exist")
        return context["contextid"]
    level = context["contextlevel"]
    if level:
        if level == CONTEXT_SYSTEM:
            return SYSTEM_CONTEXT
        if level == CONTEXT_COURSECAT:
            for contextid, (clevel, instance) in site.contexts.items():
                if clevel == CONTEXT_COURSECAT and instance == context["instanceid"]:
                    return contextid
            raise invalid_parameter("Context does not exist")
        raise invalid_parameter("Invalid context level = " + level)
    raise invalid_parameter("Missing parameters, please provide either context level with instance id or contextid")


def search_cohorts(call, query, context, includes, limitfrom, limitnum):
    site = call.site
    contextid = _context_from_params(site, context)
    if not call.user.can(MANAGE):
        call.require_capability(VIEW)
    if includes == "self":
        contexts = {contextid}
    elif includes == "parents":
        contexts = {contextid, SYSTEM_CONTEXT}
    elif includes == "all":
        contexts = set(site.contexts)
    else:
        raise coding_exception("Invalid parameter value for 'includes'.", None)
    needle = query.lower()
    found = [
        c
        for c in site.cohorts.values()
        if c.contextid in contexts
        and (needle in c.name.lower() or needle in c.idnumber.lower() or needle in c.description.lower())
    ]
    found.sort(key=lambda c: (c.name, c.idnumber, c.id))
    # cohort_get_cohorts()/cohort_get_all_cohorts() take a page number: limitfrom is multiplied by limitnum.
    if limitnum > 0:
        first = limitfrom * limitnum
        last = first + limitnum
        found = found[first:last]
    return {"cohorts": [cohort_record(c) for c in found]}


FUNCTIONS = {
    "core_cohort_add_cohort_members": (ADD_PARAMETERS, ADD_RETURNS, add_cohort_members),
    "core_cohort_delete_cohort_members": (DELETE_PARAMETERS, None, delete_cohort_members),
    "core_cohort_get_cohort_members": (GET_MEMBERS_PARAMETERS, GET_MEMBERS_RETURNS, get_cohort_members),
    "core_cohort_get_cohorts": (GET_COHORTS_PARAMETERS, Multiple(COHORT_DESCRIPTION), get_cohorts),
    "core_cohort_search_cohorts": (
        SEARCH_PARAMETERS,
        Single({"cohorts": Multiple(COHORT_DESCRIPTION)}),
        search_cohorts,
    ),
}
