"""core_user_* functions (docs/moodle-behaviour.md#create-transaction and the sections after it), computed from the site state."""

import hashlib
import re

from .. import php
from ..errors import MoodleError, coding_exception, invalid_parameter, missing_record, moodle_exception
from ..params import (
    DEFAULT,
    OPTIONAL,
    REQUIRED,
    PARAM_ALPHA,
    PARAM_ALPHANUMEXT,
    PARAM_AUTH,
    PARAM_BOOL,
    PARAM_INT,
    PARAM_LANG,
    PARAM_NOTAGS,
    PARAM_PLUGIN,
    PARAM_RAW,
    PARAM_RAW_TRIMMED,
    PARAM_TEXT,
    PARAM_THEME,
    PARAM_TIMEZONE,
    PARAM_USERNAME,
    Multiple,
    Single,
    Value,
    clean_param,
    validate_email,
    warnings_description,
)
from ..state import User

GUEST_ID = 1
CREATABLE_AUTHS = ("cas", "db", "email", "ldap", "lti", "manual", "nologin", "none", "oauth2", "shibboleth")
INTERNAL_AUTHS = ("manual", "email", "none")

# core_user::get_property_type() of the user fields the functions accept or return (Moodle 4.4).
TYPES = {
    "id": PARAM_INT,
    "auth": PARAM_AUTH,
    "suspended": PARAM_BOOL,
    "username": PARAM_USERNAME,
    "password": PARAM_RAW,
    "idnumber": PARAM_RAW,
    "firstname": PARAM_NOTAGS,
    "lastname": PARAM_NOTAGS,
    "middlename": PARAM_NOTAGS,
    "alternatename": PARAM_NOTAGS,
    "firstnamephonetic": PARAM_NOTAGS,
    "lastnamephonetic": PARAM_NOTAGS,
    "email": PARAM_RAW_TRIMMED,
    "maildisplay": PARAM_INT,
    "city": PARAM_TEXT,
    "country": PARAM_ALPHA,
    "timezone": PARAM_TIMEZONE,
    "description": PARAM_RAW,
    "institution": PARAM_TEXT,
    "department": PARAM_TEXT,
    "phone1": PARAM_NOTAGS,
    "phone2": PARAM_NOTAGS,
    "address": PARAM_TEXT,
    "lang": PARAM_LANG,
    "calendartype": PARAM_PLUGIN,
    "theme": PARAM_THEME,
    "mailformat": PARAM_INT,
    "interests": PARAM_TEXT,
}


def _field(name, required=OPTIONAL, default=None, allownull=True):
    return Value(TYPES[name], required, default, allownull)


def _type_value_list(value_type=PARAM_RAW):
    return Multiple(Single({"type": Value(value_type), "value": Value(PARAM_RAW)}), OPTIONAL)


CREATE_PARAMETERS = Single(
    {
        "users": Multiple(
            Single(
                {
                    "createpassword": Value(PARAM_BOOL, OPTIONAL),
                    "username": _field("username", REQUIRED),
                    "auth": _field("auth", DEFAULT, "manual", False),
                    "password": _field("password"),
                    "firstname": _field("firstname", REQUIRED),
                    "lastname": _field("lastname", REQUIRED),
                    "email": _field("email", REQUIRED),
                    "maildisplay": _field("maildisplay"),
                    "city": _field("city"),
                    "country": _field("country"),
                    "timezone": _field("timezone"),
                    "description": _field("description"),
                    "firstnamephonetic": _field("firstnamephonetic"),
                    "lastnamephonetic": _field("lastnamephonetic"),
                    "middlename": _field("middlename"),
                    "alternatename": _field("alternatename"),
                    "interests": _field("interests"),
                    "idnumber": _field("idnumber", DEFAULT, ""),
                    "institution": _field("institution"),
                    "department": _field("department"),
                    "phone1": _field("phone1"),
                    "phone2": _field("phone2"),
                    "address": _field("address"),
                    "lang": _field("lang", DEFAULT, "en", False),
                    "calendartype": _field("calendartype", DEFAULT, "gregorian"),
                    "theme": _field("theme"),
                    "mailformat": _field("mailformat"),
                    "customfields": _type_value_list(PARAM_ALPHANUMEXT),
                    "preferences": _type_value_list(),
                }
            )
        )
    }
)
CREATE_RETURNS = Multiple(Single({"id": Value(PARAM_INT), "username": Value(PARAM_USERNAME)}))

UPDATE_PARAMETERS = Single(
    {
        "users": Multiple(
            Single(
                {
                    "id": _field("id", REQUIRED),
                    "username": _field("username", allownull=False),
                    "auth": _field("auth", allownull=False),
                    "suspended": _field("suspended"),
                    "password": _field("password", allownull=False),
                    "firstname": _field("firstname", allownull=False),
                    "lastname": _field("lastname"),
                    "email": _field("email", allownull=False),
                    "maildisplay": _field("maildisplay"),
                    "city": _field("city"),
                    "country": _field("country"),
                    "timezone": _field("timezone"),
                    "description": _field("description"),
                    "userpicture": Value(PARAM_INT, OPTIONAL),
                    "firstnamephonetic": _field("firstnamephonetic"),
                    "lastnamephonetic": _field("lastnamephonetic"),
                    "middlename": _field("middlename"),
                    "alternatename": _field("alternatename"),
                    "interests": _field("interests"),
                    "idnumber": _field("idnumber"),
                    "institution": _field("institution"),
                    "department": _field("department"),
                    "phone1": _field("phone1"),
                    "phone2": _field("phone2"),
                    "address": _field("address"),
                    "lang": _field("lang", allownull=False),
                    "calendartype": _field("calendartype", allownull=False),
                    "theme": _field("theme"),
                    "mailformat": _field("mailformat"),
                    "customfields": _type_value_list(PARAM_ALPHANUMEXT),
                    "preferences": _type_value_list(),
                }
            )
        )
    }
)
UPDATE_RETURNS = Single({"warnings": warnings_description()})

DELETE_PARAMETERS = Single({"userids": Multiple(Value(PARAM_INT))})

BY_FIELD_PARAMETERS = Single({"field": Value(PARAM_ALPHA), "values": Multiple(Value(PARAM_RAW))})

GET_USERS_PARAMETERS = Single({"criteria": Multiple(Single({"key": Value(PARAM_ALPHA), "value": Value(PARAM_RAW)}))})

# user_description(): the order of keys here is the order of keys in every response.
USER_DESCRIPTION = Single(
    {
        "id": Value(PARAM_INT),
        "username": Value(PARAM_USERNAME, OPTIONAL),
        "firstname": Value(PARAM_NOTAGS, OPTIONAL),
        "lastname": Value(PARAM_NOTAGS, OPTIONAL),
        "fullname": Value(PARAM_NOTAGS),
        "email": Value(PARAM_RAW_TRIMMED, OPTIONAL),
        "address": Value(PARAM_TEXT, OPTIONAL),
        "phone1": Value(PARAM_NOTAGS, OPTIONAL),
        "phone2": Value(PARAM_NOTAGS, OPTIONAL),
        "department": Value(PARAM_TEXT, OPTIONAL),
        "institution": Value(PARAM_TEXT, OPTIONAL),
        "idnumber": Value(PARAM_RAW, OPTIONAL),
        "interests": Value(PARAM_TEXT, OPTIONAL),
        "firstaccess": Value(PARAM_INT, OPTIONAL),
        "lastaccess": Value(PARAM_INT, OPTIONAL),
        "auth": Value(PARAM_AUTH, OPTIONAL),
        "suspended": Value(PARAM_BOOL, OPTIONAL),
        "confirmed": Value(PARAM_BOOL, OPTIONAL),
        "lang": Value(PARAM_LANG, OPTIONAL),
        "calendartype": Value(PARAM_PLUGIN, OPTIONAL),
        "theme": Value(PARAM_THEME, OPTIONAL),
        "timezone": Value(PARAM_TIMEZONE, OPTIONAL),
        "mailformat": Value(PARAM_INT, OPTIONAL),
        "trackforums": Value(PARAM_INT, OPTIONAL),
        "description": Value(PARAM_RAW, OPTIONAL),
        "descriptionformat": Value(PARAM_INT, OPTIONAL),
        "city": Value(PARAM_NOTAGS, OPTIONAL),
        "country": Value(PARAM_ALPHA, OPTIONAL),
        "profileimageurlsmall": Value(PARAM_RAW, OPTIONAL),
        "profileimageurl": Value(PARAM_RAW, OPTIONAL),
        "customfields": Multiple(
            Single(
                {
                    "type": Value(PARAM_ALPHANUMEXT),
                    "value": Value(PARAM_RAW),
                    "displayvalue": Value(PARAM_RAW, OPTIONAL),
                    "name": Value(PARAM_RAW),
                    "shortname": Value(PARAM_RAW),
                }
            ),
            OPTIONAL,
        ),
        "preferences": Multiple(Single({"name": Value(PARAM_RAW), "value": Value(PARAM_RAW)}), OPTIONAL),
    }
)


# --- user_get_user_details() -----------------------------------------------------------------


def identity_fields(call):
    """Fields shown to a viewer holding moodle/site:viewuseridentity ($CFG->showuseridentity)."""
    if not call.user.can("moodle/site:viewuseridentity"):
        return set()
    return {f for f in call.settings["showuseridentity"].split(",") if f}


def user_details(call, user):
    """user_get_user_details_courses() in system context; None when the caller may not see the user.

    This is the silent visibility filter (docs/moodle-behaviour.md#visibility): no error, the user is simply left out.
    """
    viewer = call.user
    current = user.id == viewer.id
    isadmin = viewer.siteadmin
    if not current and not viewer.can("moodle/user:viewdetails"):
        return None
    identity = identity_fields(call)
    alldetails = current or viewer.can("moodle/user:viewalldetails")
    details = {"id": user.id}
    if alldetails:
        details["username"] = user.username
    # Moodle 5.0 shows users their own first and last name whatever their capabilities.
    if isadmin or viewer.can("moodle/site:viewfullnames") or (current and call.settings["branch"] >= 500):
        details["firstname"] = user.firstname
        details["lastname"] = user.lastname
    details["fullname"] = user.firstname + " " + user.lastname
    details["profileimageurl"] = call.picture_url("f1")
    details["profileimageurlsmall"] = call.picture_url("f2")
    hiddenviewer = viewer.can("moodle/user:viewhiddendetails")
    hidden = set() if hiddenviewer else {f for f in call.settings["hiddenuserfields"].split(",") if f}
    if hiddenviewer and user.address:
        details["address"] = user.address
    for phone in ("phone1", "phone2"):
        if getattr(user, phone) and (phone in identity or hiddenviewer):
            details[phone] = getattr(user, phone)
    if user.description is not None and ("description" not in hidden or isadmin):
        details["description"] = user.description
        details["descriptionformat"] = user.descriptionformat
    for name in ("country", "city"):
        if getattr(user, name) and (name not in hidden or isadmin):
            details[name] = getattr(user, name)
    if "suspended" not in hidden or isadmin:
        details["suspended"] = bool(user.suspended)
    for name in ("firstaccess", "lastaccess"):
        if name not in hidden or isadmin:
            details[name] = getattr(user, name) or 0
    if isadmin or current or "email" in identity or user.maildisplay == 1:
        details["email"] = user.email
    if user.interests:
        details["interests"] = user.interests
    for name in ("idnumber", "institution"):
        if getattr(user, name) and (name in identity or alldetails):
            details[name] = getattr(user, name)
    if "department" in identity or alldetails:
        details["department"] = user.department
    if current:
        prefs = [{"name": k, "value": v} for k, v in user.preferences.items()]
        prefs.append({"name": "_lastloaded", "value": call.now})
        details["preferences"] = prefs
    if alldetails:
        for name in ("auth", "confirmed", "lang", "theme", "timezone", "mailformat", "trackforums"):
            details[name] = getattr(user, name)
    return details


def _visible(details, field):
    """PHP empty(): '', '0', 0, False and a missing key all hide the user."""
    value = details.get(field) if details else None
    return value not in (None, "", "0", 0, False)


# --- core_user_get_users_by_field --------------------------------------------------------------

BY_FIELD_TYPES = {"id": PARAM_INT, "idnumber": PARAM_RAW, "username": PARAM_USERNAME, "email": PARAM_RAW_TRIMMED}


def get_users_by_field(call, field, values):
    ptype = BY_FIELD_TYPES.get(field)
    if ptype is None:
        raise coding_exception(
            "invalid field parameter",
            "The search field '%s' is not supported, look at the web service documentation" % field,
        )
    cleaned = []
    for value in values:
        clean = clean_param(value, ptype, call.settings["extendedusernamechars"])
        # Each value must already be clean (docs/moodle-behaviour.md#clean-lookup-values): PHP's loose != against the cleaned value.
        if not php.loose_equals(value, clean):
            raise invalid_parameter("The field '%s' value is invalid: %s(cleaned value: %s)" % (field, value, clean))
        cleaned.append(clean)
    site = call.site
    ids = set()
    for value in cleaned:
        if field == "id":
            if value in site.users:
                ids.add(value)
        else:
            # Exact SQL match, no deleted filter: the collation decides the case (docs/moodle-behaviour.md#email-case).
            ids |= site.find_ids(field, value)
    result = []
    for userid in sorted(ids):
        details = user_details(call, site.users[userid])
        if _visible(details, field):
            result.append(details)
    return result


# --- core_user_get_users ------------------------------------------------------------------------

GET_USERS_TYPES = {
    "id": PARAM_INT,
    "idnumber": PARAM_RAW,
    "username": PARAM_USERNAME,
    "email": PARAM_RAW_TRIMMED,
    "auth": PARAM_AUTH,
    "lastname": PARAM_NOTAGS,
    "firstname": PARAM_NOTAGS,
}


def like_regex(pattern):
    """sql_like(..., casesensitive=false): % and _ are wildcards, backslash escapes (docs/moodle-behaviour.md#email-search)."""
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def get_users(call, criteria):
    site = call.site
    warnings, used, conditions = [], set(), []
    for criterion in criteria:
        key = criterion["key"]
        if key in used:
            raise moodle_exception("keyalreadyset", debuginfo="The key %s can only be sent once" % key)
        used.add(key)
        ptype = GET_USERS_TYPES.get(key)
        if ptype is None:
            warnings.append(
                {
                    "item": key,
                    "warningcode": "invalidfieldparameter",
                    "message": "The search key '%s' is not supported, look at the web service documentation" % key,
                }
            )
            continue
        conditions.append((key, clean_param(criterion["value"], ptype, call.settings["extendedusernamechars"])))
    candidates = None
    for key, value in conditions:
        if key in ("email",) and not re.search(r"[%_\\]", value):
            found = site.find_ids("email", value, case_sensitive=False)
        elif key in ("username", "idnumber"):
            found = site.find_ids(key, value)
        else:
            continue
        candidates = found if candidates is None else candidates & found
    pool = sorted(candidates) if candidates is not None else sorted(site.users)
    matched = []
    for userid in pool:
        user = site.users[userid]
        if user.deleted or not all(_matches(site, user, key, value) for key, value in conditions):
            continue
        details = user_details(call, user)
        if details and all(_visible(details, key) for key, _value in conditions):
            matched.append(details)
    return {"users": matched, "warnings": warnings}


def _matches(site, user, key, value):
    if key == "id":
        return user.id == value
    if key in ("email", "lastname", "firstname"):
        return bool(like_regex(value).match(getattr(user, key)))
    if site.settings["email_case_sensitive"]:
        return getattr(user, key) == value
    return getattr(user, key).lower() == value.lower()


# --- core_user_create_users ----------------------------------------------------------------------


def password_policy_errors(settings, password):
    """check_password_policy(): the HTML list Moodle uses as the error code (docs/moodle-behaviour.md#password-policy)."""
    if not settings["passwordpolicy"]:
        return ""
    errors = ""
    if len(password) < settings["minpasswordlength"]:
        errors += "<div>Passwords must be at least %d characters long.</div>" % settings["minpasswordlength"]
    if sum(c.isdigit() for c in password) < settings["minpassworddigits"]:
        errors += "<div>Passwords must have at least %d digit(s).</div>" % settings["minpassworddigits"]
    if sum(c.islower() for c in password) < settings["minpasswordlower"]:
        errors += "<div>Passwords must have at least %d lower case letter(s).</div>" % settings["minpasswordlower"]
    if sum(c.isupper() for c in password) < settings["minpasswordupper"]:
        errors += "<div>Passwords must have at least %d upper case letter(s).</div>" % settings["minpasswordupper"]
    if sum(not (c.isupper() or c.islower() or c.isdigit()) for c in password) < settings["minpasswordnonalphanum"]:
        errors += (
            "<div>The password must have at least %d special character(s) such as *, -, or #.</div>"
            % settings["minpasswordnonalphanum"]
        )
    limit = settings["maxconsecutiveidentchars"]
    if limit and re.search(r"(.)\1{%d,}" % limit, password):
        errors += "<div>Passwords must have at most %d consecutive identical characters.</div>" % limit
    return errors


def check_password(settings, password):
    errors = password_policy_errors(settings, password)
    if errors:
        raise moodle_exception(errors)


def _email_taken(site, email, exclude=None):
    """sql_equal('email', :email, false): case-insensitive whatever the database (docs/moodle-behaviour.md#email-case)."""
    return bool(site.find_ids("email", email, case_sensitive=False) - {exclude})


def create_users(call, users):
    call.require_capability("moodle/user:create")
    site = call.site
    settings = call.settings
    staged = []  # one transaction for the batch (docs/moodle-behaviour.md#create-transaction): inserted only if every user passes
    try:
        for user in users:
            for name in ("username", "firstname", "lastname"):
                if php.trim(user[name]) == "":
                    raise invalid_parameter("The field %s cannot be blank" % name)
            if site.find_ids("username", user["username"]):
                raise invalid_parameter("Username already exists: " + user["username"])
            if user["auth"] not in CREATABLE_AUTHS:
                raise invalid_parameter("Invalid authentication type: " + user["auth"])
            if user["lang"] != "en":
                raise invalid_parameter("Invalid language code: " + user["lang"])
            if user.get("theme") and user["theme"] not in ("boost", "classic"):
                raise invalid_parameter("Invalid theme: " + user["theme"])
            internal = user["auth"] in INTERNAL_AUTHS
            if internal and not user.get("password") and not user.get("createpassword"):
                raise invalid_parameter("Invalid password: you must provide a password, or set createpassword.")
            if not validate_email(user["email"]):
                raise invalid_parameter("Email address is invalid: " + user["email"])
            if not settings["allowaccountssameemail"] and _email_taken(site, user["email"]):
                raise invalid_parameter("Email address already exists: " + user["email"])
            createpassword = bool(user.get("createpassword"))
            if internal and not createpassword and user.get("password") is not None:
                check_password(settings, user["password"])  # user_create_user(): before the insert
            record = _new_user(call, user, createpassword)
            # The row is inserted inside the transaction: later users of the batch see it, and the
            # id is consumed even if the batch rolls back (docs/moodle-behaviour.md#create-transaction).
            site.insert_user(record)
            staged.append(record)
    except MoodleError:
        for record in staged:
            site.remove_user(record)
        raise
    return [{"id": record.id, "username": record.username} for record in staged]


def _new_user(call, user, createpassword):
    fields = {
        key: value
        for key, value in user.items()
        if key not in ("createpassword", "customfields", "preferences", "password") and value is not None
    }
    preferences = {"auth_manual_passwordupdatetime": str(call.now)}
    if createpassword:
        preferences["auth_forcepasswordchange"] = "1"
    for preference in user.get("preferences") or []:
        preferences[preference["type"]] = preference["value"]
    # Unknown custom profile field shortnames are silently ignored (docs/moodle-behaviour.md#create-transaction): the site defines none.
    return User(
        call.site.allocate_userid(),
        password="" if createpassword else (user.get("password") or ""),
        preferences=preferences,
        timecreated=call.now,
        timemodified=call.now,
        **fields,
    )


# --- core_user_update_users ----------------------------------------------------------------------


def update_users(call, users):
    call.require_capability("moodle/user:update")
    site = call.site
    warnings = []
    for user in users:
        # Each user in its own transaction; a failure becomes a warning (docs/moodle-behaviour.md#update-and-delete).
        try:
            _update_one(call, site, user)
        except MoodleError as error:
            warnings.append(
                {"item": "user", "itemid": user["id"], "warningcode": error.errorcode, "message": error.message}
            )
    return {"warnings": warnings}


def _update_one(call, site, user):
    existing = site.users.get(user["id"])
    if existing is None:
        raise moodle_exception("invaliduserid")
    if existing.id != call.user.id and existing.siteadmin and not call.user.siteadmin:
        raise moodle_exception("usernotupdatedadmin")
    if existing.deleted:
        raise moodle_exception("usernotupdateddeleted")
    if existing.id == GUEST_ID:
        raise moodle_exception("usernotupdatedguest")
    if "email" in user and user["email"] != existing.email:
        if not validate_email(user["email"]):
            raise moodle_exception("useremailinvalid")
        if not call.settings["allowaccountssameemail"] and _email_taken(site, user["email"], exclude=existing.id):
            raise moodle_exception("useremailduplicate")
    changes = {
        key: value
        for key, value in user.items()
        if key not in ("id", "customfields", "preferences", "userpicture", "password") and value is not None
    }
    if "username" in changes:
        if changes["username"] == "":
            raise moodle_exception("invalidusernameblank")
        if site.find_ids("username", changes["username"]) - {existing.id}:
            raise moodle_exception("dmlwriteexception")  # unique index (mnethostid, username)
    preferences = dict(existing.preferences)
    if "password" in user:
        check_password(call.settings, user["password"])
        changes["password"] = user["password"]
        preferences["auth_manual_passwordupdatetime"] = str(call.now)
    for preference in user.get("preferences") or []:
        preferences[preference["type"]] = preference["value"]
    if "suspended" in changes:
        changes["suspended"] = bool(changes["suspended"])
    changes["preferences"] = preferences
    changes["timemodified"] = call.now
    site.update_user_fields(existing, **changes)


# --- core_user_delete_users ----------------------------------------------------------------------


def delete_users(call, userids):
    call.require_capability("moodle/user:delete")
    site = call.site
    doomed = []
    for userid in userids:
        user = site.users.get(userid)
        if user is None or user.deleted or user in doomed:
            raise missing_record("user", "SELECT * FROM {user} WHERE id = ? AND deleted = ?", [userid, 0])
        if user.siteadmin:
            raise moodle_exception("useradminodelete")
        if user.id == call.user.id:
            raise moodle_exception("usernotdeletederror")
        doomed.append(user)
    for user in doomed:  # one transaction: nothing changes unless every id is deletable
        delete_user(site, user, call.now)
    return None


def delete_user(site, user, now):
    """delete_user(): keep the row, free username, e-mail and idnumber (docs/moodle-behaviour.md#deleted-accounts)."""
    delname = clean_param("%s.%d" % (user.email, now), PARAM_USERNAME, site.settings["extendedusernamechars"])
    while site.find_ids("username", delname, case_sensitive=True):
        delname = _php_increment(delname)
    email_hash = hashlib.md5(user.username.encode()).hexdigest()
    site.update_user_fields(user, deleted=True, username=delname, email=email_hash, idnumber="", timemodified=now)
    for cohort in site.cohorts.values():
        cohort.members.pop(user.id, None)
    for token in [t for t in site.tokens.values() if t.userid == user.id]:
        del site.tokens[token.token]
    for service in site.services.values():
        service.authorised.pop(user.id, None)


def _php_increment(text):
    match = re.search(r"(\d+)$", text)
    if not match:
        return text + "1"
    digits = match.group(1)
    return text[: match.start()] + str(int(digits) + 1).zfill(len(digits))


FUNCTIONS = {
    "core_user_get_users_by_field": (BY_FIELD_PARAMETERS, Multiple(USER_DESCRIPTION), get_users_by_field),
    "core_user_get_users": (
        GET_USERS_PARAMETERS,
        Single({"users": Multiple(USER_DESCRIPTION), "warnings": warnings_description()}),
        get_users,
    ),
    "core_user_create_users": (CREATE_PARAMETERS, CREATE_RETURNS, create_users),
    "core_user_update_users": (UPDATE_PARAMETERS, UPDATE_RETURNS, update_users),
    "core_user_delete_users": (DELETE_PARAMETERS, None, delete_users),
}
