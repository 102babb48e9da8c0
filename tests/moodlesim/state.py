"""The simulated site: settings, users, cohorts, services, tokens and who may do what.

One re-entrant lock guards everything: a web service call runs entirely under it, so a create or
an add is atomic and two racing clients see Moodle's DB behaviour (the second create of a
username fails).
"""

import copy
import threading
import time

CAP_REST_USE = "webservice/rest:use"
# The Manager archetype's capabilities that matter to the simulated functions (no rest:use: docs/moodle-behaviour.md#access-checks).
MANAGER = frozenset(
    {
        "moodle/user:create",
        "moodle/user:update",
        "moodle/user:delete",
        "moodle/user:viewdetails",
        "moodle/user:viewalldetails",
        "moodle/user:viewhiddendetails",
        "moodle/site:viewfullnames",
        "moodle/site:viewuseridentity",
        "moodle/cohort:manage",
        "moodle/cohort:assign",
        "moodle/cohort:view",
    }
)

SYSTEM_CONTEXT = 1
CONTEXT_SYSTEM = "system"
CONTEXT_COURSECAT = "coursecat"

DEFAULT_SETTINGS = {
    "webservices": True,  # enablewebservices
    "rest": True,  # 'rest' in webserviceprotocols
    "allowaccountssameemail": False,
    "extendedusernamechars": False,
    "passwordpolicy": True,
    "debug": False,  # DEVELOPER debugging: adds debuginfo to errors
    "maintenance": False,
    "max_input_vars": 5000,  # PHP ini, Moodle's requirement on PHP 8
    "email_case_sensitive": True,  # True = PostgreSQL, False = MySQL/MariaDB _ci collation
    "release": "4.4.3+ (Build: 20240910)",  # the profile (profiles.py): Moodle release, version and branch
    "version": "2024042203.03",
    "branch": 404,
    "sitename": "Moodle Lab",
    "wwwroot": None,  # None = the simulator's own base URL
    "minpasswordlength": 8,
    "minpassworddigits": 1,
    "minpasswordlower": 1,
    "minpasswordupper": 1,
    "minpasswordnonalphanum": 1,
    "maxconsecutiveidentchars": 0,
    "hiddenuserfields": "",
    "showuseridentity": "email",
}

USER_DEFAULTS = {
    "auth": "manual",
    "confirmed": True,
    "deleted": False,
    "suspended": False,
    "idnumber": "",
    "lang": "en",
    "calendartype": "gregorian",
    "theme": "",
    "timezone": "99",
    "mailformat": 1,
    "maildisplay": 2,
    "trackforums": 0,
    "description": None,
    "descriptionformat": 1,
    "city": "",
    "country": "",
    "institution": "",
    "department": "",
    "phone1": "",
    "phone2": "",
    "address": "",
    "firstaccess": 0,
    "lastaccess": 0,
    "password": "",
    "middlename": "",
    "alternatename": "",
    "firstnamephonetic": "",
    "lastnamephonetic": "",
    "interests": "",
}

INDEXED = ("username", "email", "idnumber")


class User:
    """A row of mdl_user plus the role-derived capabilities of that user."""

    def __init__(self, userid, **fields):
        self.id = userid
        values = dict(USER_DEFAULTS)
        values.update(fields)
        self.username = values.pop("username")
        self.email = values.pop("email")
        self.firstname = values.pop("firstname")
        self.lastname = values.pop("lastname")
        self.capabilities = set(values.pop("capabilities", ()))
        self.siteadmin = bool(values.pop("siteadmin", False))
        self.preferences = dict(values.pop("preferences", {}))
        self.customfields = dict(values.pop("customfields", {}))
        now = int(time.time())
        self.timecreated = values.pop("timecreated", now)
        self.timemodified = values.pop("timemodified", now)
        for key, value in values.items():
            setattr(self, key, value)

    def can(self, capability):
        # is_siteadmin() passes every has_capability() check.
        return self.siteadmin or capability in self.capabilities

    def as_dict(self):
        data = {key: value for key, value in vars(self).items() if key not in ("capabilities", "password")}
        data["capabilities"] = sorted(self.capabilities)
        return data


class Cohort:
    def __init__(
        self,
        cohortid,
        name,
        idnumber="",
        contextid=SYSTEM_CONTEXT,
        description="",
        descriptionformat=1,
        visible=True,
        theme="",
    ):
        self.id = cohortid
        self.name = name
        self.idnumber = idnumber
        self.contextid = contextid
        self.description = description
        self.descriptionformat = descriptionformat
        self.visible = visible
        self.theme = theme
        self.members = {}  # userid -> timeadded, in insertion order

    def as_dict(self):
        data = {key: value for key, value in vars(self).items() if key != "members"}
        data["members"] = list(self.members)
        return data


class Service:
    def __init__(
        self,
        serviceid,
        shortname,
        name,
        functions,
        enabled=True,
        restrictedusers=True,
        authorised=(),
        requiredcapability="",
    ):
        self.id = serviceid
        self.shortname = shortname
        self.name = name
        self.functions = list(functions)
        self.enabled = enabled
        self.restrictedusers = restrictedusers
        # userid -> {'iprestriction': str, 'validuntil': int}
        self.authorised = {int(uid): {"iprestriction": "", "validuntil": 0} for uid in authorised}
        self.requiredcapability = requiredcapability

    def as_dict(self):
        data = dict(vars(self))
        data["authorised"] = {str(k): v for k, v in self.authorised.items()}
        return data


class Token:
    def __init__(self, token, userid, serviceid, validuntil=0, iprestriction="", contextid=SYSTEM_CONTEXT, name=""):
        self.token = token
        self.userid = userid
        self.serviceid = serviceid
        self.validuntil = validuntil
        self.iprestriction = iprestriction
        self.contextid = contextid
        self.name = name
        self.lastaccess = 0

    def as_dict(self):
        return dict(vars(self))


class Site:
    """All state of one simulated Moodle site."""

    def __init__(self):
        self.lock = threading.RLock()
        self.settings = dict(DEFAULT_SETTINGS)
        self.users = {}
        self.cohorts = {}
        self.services = {}
        self.tokens = {}
        # contextid -> (level, instanceid); category contexts hold category cohorts.
        self.contexts = {SYSTEM_CONTEXT: (CONTEXT_SYSTEM, 0)}
        self.next_userid = 1
        self.next_cohortid = 1
        self.next_serviceid = 1
        self.theme_revision = int(time.time())
        self._exact = {field: {} for field in INDEXED}
        self._folded = {field: {} for field in INDEXED}

    # --- users and their indexes -------------------------------------------------------------
    def _index(self, user):
        for field in INDEXED:
            value = getattr(user, field)
            self._exact[field].setdefault(value, set()).add(user.id)
            self._folded[field].setdefault(value.lower(), set()).add(user.id)

    def _unindex(self, user):
        for field in INDEXED:
            value = getattr(user, field)
            for index, key in ((self._exact[field], value), (self._folded[field], value.lower())):
                ids = index.get(key)
                if ids is not None:
                    ids.discard(user.id)
                    if not ids:
                        del index[key]

    def allocate_userid(self):
        """nextval of the user id sequence: consumed even when the transaction rolls back."""
        userid = self.next_userid
        self.next_userid += 1
        return userid

    def insert_user(self, user):
        self.users[user.id] = user
        self._index(user)
        self.next_userid = max(self.next_userid, user.id + 1)
        return user

    def remove_user(self, user):
        """Roll back an insert (the id stays consumed)."""
        self._unindex(user)
        del self.users[user.id]

    def update_user_fields(self, user, **fields):
        self._unindex(user)
        for key, value in fields.items():
            setattr(user, key, value)
        self._index(user)

    def find_ids(self, field, value, case_sensitive=None):
        """Users whose field equals value under the site's collation (set of ids)."""
        if case_sensitive is None:
            case_sensitive = self.settings["email_case_sensitive"]
        if case_sensitive:
            return set(self._exact[field].get(value, ()))
        return set(self._folded[field].get(value.lower(), ()))

    # --- contexts ----------------------------------------------------------------------------
    def category_context(self, categoryid):
        for contextid, (level, instance) in self.contexts.items():
            if level == CONTEXT_COURSECAT and instance == categoryid:
                return contextid
        contextid = max(self.contexts) + 1
        self.contexts[contextid] = (CONTEXT_COURSECAT, categoryid)
        return contextid

    def snapshot(self):
        """A deep copy of the public state, for GET /_sim/state."""
        with self.lock:
            return copy.deepcopy(
                {
                    "settings": self.settings,
                    "users": [u.as_dict() for u in sorted(self.users.values(), key=lambda u: u.id)],
                    "cohorts": [c.as_dict() for c in sorted(self.cohorts.values(), key=lambda c: c.id)],
                    "services": [s.as_dict() for s in sorted(self.services.values(), key=lambda s: s.id)],
                    "tokens": [t.as_dict() for t in self.tokens.values()],
                    "contexts": {str(k): list(v) for k, v in self.contexts.items()},
                    "next_userid": self.next_userid,
                }
            )
