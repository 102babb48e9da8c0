"""Seeds: the site the real transcripts were recorded on, or an empty site."""

import hashlib
import time

from .state import CAP_REST_USE, CONTEXT_COURSECAT, MANAGER, Cohort, Service, Site, Token, User

TOKEN_NAMES = (
    "TOKEN_OK",
    "TOKEN_FULL",
    "TOKEN_MISSING_FN",
    "TOKEN_UNAUTHORISED",
    "TOKEN_NOCAP",
    "TOKEN_NOCAP_RESTONLY",
    "TOKEN_EXPIRED",
    "TOKEN_IPRESTRICTED",
    "TOKEN_SITEADMIN",
)
# Deterministic 32-lowercase-hex tokens (docs/moodle-behaviour.md#tokens), stable across runs and processes.
TOKENS = {name: hashlib.md5(("moodlesim:" + name).encode()).hexdigest() for name in TOKEN_NAMES}

GUIDE_FUNCTIONS = ["core_user_get_users_by_field", "core_user_create_users", "core_cohort_add_cohort_members"]
FULL_FUNCTIONS = GUIDE_FUNCTIONS + [
    "core_webservice_get_site_info",
    "core_cohort_get_cohort_members",
    "core_cohort_delete_cohort_members",
    "core_cohort_get_cohorts",
    "core_cohort_search_cohorts",
    "core_user_update_users",
    "core_user_delete_users",
    "core_user_get_users",
]
CATEGORY_CONTEXT = 3


def empty_site():
    """A fresh install: guest and admin only, web services and REST on, no service or token."""
    site = Site()
    now = int(time.time())
    site.insert_user(
        User(
            1,
            username="guest",
            email="root@localhost",
            firstname="Guest user",
            lastname=" ",
            description="This user is a special user that allows read-only access to some courses.",
            timecreated=now,
        )
    )
    site.insert_user(
        User(
            2,
            username="admin",
            email="admin@example.com",
            firstname="Admin",
            lastname="User",
            siteadmin=True,
            preferences={"auth_manual_passwordupdatetime": str(now)},
        )
    )
    site.contexts[CATEGORY_CONTEXT] = (CONTEXT_COURSECAT, 1)
    return site


def transcript_site():
    """The Moodle 4.4.3+ (PostgreSQL) lab site the recordings of tests/fixtures/transcripts were made on."""
    site = empty_site()
    now = str(int(time.time()))

    def api_user(userid, username, lastname, capabilities):
        site.insert_user(
            User(
                userid,
                username=username,
                email=username + "@example.com",
                firstname="DS Enroll",
                lastname=lastname,
                capabilities=capabilities,
                preferences={"auth_manual_passwordupdatetime": now},
            )
        )

    api_user(3, "ds-enroll-api", "API", MANAGER | {CAP_REST_USE})
    api_user(4, "ds-enroll-unauth", "Unauthorised", MANAGER | {CAP_REST_USE})
    api_user(5, "ds-enroll-nocap", "NoCap", set())
    api_user(6, "ds-enroll-restonly", "RestOnly", {CAP_REST_USE})
    site.insert_user(
        User(
            7,
            username="existing.learner",
            email="existing.learner@example.com",
            idnumber="EXT-0001",
            firstname="Existing",
            lastname="Learner",
            preferences={"auth_manual_passwordupdatetime": now},
        )
    )

    for cohortid, name, idnumber, contextid in (
        (1, "OneMembership", "onemembership", 1),
        (2, "Second Cohort", "second", 1),
        (3, "Category Cohort", "categorycohort", CATEGORY_CONTEXT),
    ):
        site.cohorts[cohortid] = Cohort(
            cohortid, name, idnumber, contextid, description="moodle-lab fixture cohort " + idnumber
        )
    site.next_cohortid = 4

    services = (
        (1, "ds_enroll_moodle_integration", "DS Enroll Moodle Integration", GUIDE_FUNCTIONS, [3]),
        (2, "ds_enroll_full", "DS Enroll Full", FULL_FUNCTIONS, [2, 3, 5, 6]),
        (3, "ds_enroll_missing_fn", "DS Enroll Missing Function", ["core_user_get_users_by_field"], [3]),
    )
    for serviceid, shortname, name, functions, authorised in services:
        site.services[serviceid] = Service(serviceid, shortname, name, functions, authorised=authorised)
    site.next_serviceid = 4

    tokens = (
        ("TOKEN_OK", 3, 1, {}),
        ("TOKEN_FULL", 3, 2, {}),
        ("TOKEN_MISSING_FN", 3, 3, {}),
        ("TOKEN_UNAUTHORISED", 4, 1, {}),
        ("TOKEN_NOCAP", 5, 2, {}),
        ("TOKEN_NOCAP_RESTONLY", 6, 2, {}),
        ("TOKEN_EXPIRED", 3, 1, {"validuntil": 1}),
        ("TOKEN_IPRESTRICTED", 3, 1, {"iprestriction": "10.9.9.9"}),
        ("TOKEN_SITEADMIN", 2, 2, {}),
    )
    for name, userid, serviceid, extra in tokens:
        site.tokens[TOKENS[name]] = Token(TOKENS[name], userid, serviceid, name=name, **extra)
    return site


SEEDS = {"transcript-site": transcript_site, "empty": empty_site}


def build(seed):
    try:
        return SEEDS[seed]()
    except KeyError:
        raise ValueError("unknown seed %r (known: %s)" % (seed, ", ".join(SEEDS))) from None
