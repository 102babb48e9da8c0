"""core_webservice_get_site_info (docs/moodle-behaviour.md#site-info)."""

import hashlib

from ..params import OPTIONAL, PARAM_BOOL, PARAM_INT, PARAM_RAW, Multiple, Single, Value

ADVANCED_FEATURES = (
    ("usecomments", 1),
    ("usetags", 1),
    ("enablenotes", 1),
    ("messaging", 1),
    ("enableblogs", 1),
    ("enablecompletion", 1),
    ("enablebadges", 1),
    ("messagingallusers", 0),
    ("enablecustomreports", 1),
    ("enableglobalsearch", 0),
    ("mnet_dispatcher_mode", 0),
    ("enablecompetencies", 1),
)

PARAMETERS = Single({})
RETURNS = Single(
    {
        "sitename": Value(PARAM_RAW),
        "username": Value(PARAM_RAW),
        "firstname": Value(PARAM_RAW),
        "lastname": Value(PARAM_RAW),
        "fullname": Value(PARAM_RAW),
        "lang": Value(PARAM_RAW),
        "userid": Value(PARAM_INT),
        "siteurl": Value(PARAM_RAW),
        "userpictureurl": Value(PARAM_RAW),
        "functions": Multiple(Single({"name": Value(PARAM_RAW), "version": Value(PARAM_RAW)})),
        "downloadfiles": Value(PARAM_INT, OPTIONAL),
        "uploadfiles": Value(PARAM_INT, OPTIONAL),
        "release": Value(PARAM_RAW, OPTIONAL),
        "version": Value(PARAM_RAW, OPTIONAL),
        "mobilecssurl": Value(PARAM_RAW, OPTIONAL),
        "advancedfeatures": Multiple(Single({"name": Value(PARAM_RAW), "value": Value(PARAM_INT)}), OPTIONAL),
        "usercanmanageownfiles": Value(PARAM_BOOL, OPTIONAL),
        "userquota": Value(PARAM_INT, OPTIONAL),
        "usermaxuploadfilesize": Value(PARAM_INT, OPTIONAL),
        "userhomepage": Value(PARAM_INT, OPTIONAL),
        "userhomepageurl": Value(PARAM_RAW, OPTIONAL),
        "userprivateaccesskey": Value(PARAM_RAW, OPTIONAL),
        "siteid": Value(PARAM_INT, OPTIONAL),
        "sitecalendartype": Value(PARAM_RAW, OPTIONAL),
        "usercalendartype": Value(PARAM_RAW, OPTIONAL),
        "userissiteadmin": Value(PARAM_BOOL, OPTIONAL),
        "theme": Value(PARAM_RAW, OPTIONAL),
        "limitconcurrentlogins": Value(PARAM_INT, OPTIONAL),
        "usersessionscount": Value(PARAM_INT, OPTIONAL),
        "policyagreed": Value(PARAM_INT, OPTIONAL),
    }
)


def get_site_info(call):
    user = call.user
    service = call.site.services[call.token.serviceid]
    return {
        "sitename": call.settings["sitename"],
        "username": user.username,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "fullname": user.firstname + " " + user.lastname,
        "lang": user.lang,
        "userid": user.id,
        "siteurl": call.wwwroot,
        "userpictureurl": call.picture_url("f1"),
        # Exactly the functions of the token's service (docs/moodle-behaviour.md#site-info).
        "functions": [{"name": name, "version": call.settings["version"]} for name in service.functions],
        "downloadfiles": 0,
        "uploadfiles": 0,
        "release": call.settings["release"],
        "version": call.settings["version"],
        "mobilecssurl": "",
        "advancedfeatures": [{"name": n, "value": v} for n, v in ADVANCED_FEATURES],
        "usercanmanageownfiles": True,
        "userquota": 0 if user.siteadmin else 104857600,
        "usermaxuploadfilesize": -1 if user.siteadmin else 67108864,
        "userhomepage": 1,
        # A secret in real Moodle (docs/moodle-behaviour.md#site-info); deterministic here.
        "userprivateaccesskey": hashlib.md5(("moodlesim-key:%d" % user.id).encode()).hexdigest(),
        "siteid": 1,
        "sitecalendartype": "gregorian",
        "usercalendartype": user.calendartype,
        "userissiteadmin": user.siteadmin,
        "theme": "boost",
        "limitconcurrentlogins": 0,
        "policyagreed": 0,
    }


FUNCTIONS = {"core_webservice_get_site_info": (PARAMETERS, RETURNS, get_site_info)}
