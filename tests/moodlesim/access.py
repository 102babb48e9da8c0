"""The REST server's access checks, in Moodle's order (docs/moodle-behaviour.md#access-checks)."""

import ipaddress
import time

from .errors import (
    ACCESS_NOT_ALLOWED,
    access_exception,
    invalid_parameter,
    invalid_token,
    missing_record,
    moodle_exception,
)
from .state import CAP_REST_USE


def address_in_subnet(address, subnets):
    """Moodle's address_in_subnet(): comma list of CIDRs, ranges (1.2.3.4-9) and prefixes (1.2.3)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for subnet in (s.strip() for s in subnets.split(",")):
        if not subnet:
            continue
        try:
            if "/" in subnet:
                if ip in ipaddress.ip_network(subnet, strict=False):
                    return True
            elif "-" in subnet:
                start, end = subnet.split("-", 1)
                base = start.rsplit(".", 1)[0]
                if ipaddress.ip_address(start) <= ip <= ipaddress.ip_address(base + "." + end):
                    return True
            elif subnet.count(".") < 3 or subnet.endswith("."):
                if address.startswith(subnet.rstrip(".") + "."):
                    return True
            elif ip == ipaddress.ip_address(subnet):
                return True
        except ValueError:
            continue
    return False


def authenticate(site, tokenvalue, remote_addr):
    """webservice_server::authenticate_user(): token, expiry, IP, maintenance, account, rest:use."""
    token = site.tokens.get(tokenvalue) if isinstance(tokenvalue, str) else None
    if token is None:
        raise invalid_token()
    if token.validuntil and token.validuntil < time.time():
        # Moodle deletes the expired token on this call: later calls get invalidtoken (docs/moodle-behaviour.md#expired-tokens).
        del site.tokens[tokenvalue]
        raise access_exception("Invalid token - token expired - check validuntil time for the token")
    if token.iprestriction and not address_in_subnet(remote_addr, token.iprestriction):
        raise access_exception("Invalid service - IP:%s is not supported - check this allowed user" % remote_addr)
    user = site.users.get(token.userid)
    if user is None:
        raise missing_record("user", "SELECT * FROM {user} WHERE id = ?", [token.userid])
    if site.settings["maintenance"] and not user.siteadmin:
        raise moodle_exception("sitemaintenance", "admin")
    if user.deleted:
        raise moodle_exception("wsaccessuserdeleted", "webservice", user.username)
    if not user.confirmed:
        raise moodle_exception("wsaccessuserunconfirmed", "webservice", user.username)
    if user.suspended:
        raise moodle_exception("wsaccessusersuspended", "webservice", user.username)
    if user.auth == "nologin":
        raise moodle_exception("wsaccessusernologin", "webservice", user.username)
    _login(user)
    token.lastaccess = int(time.time())
    if not user.can(CAP_REST_USE):
        raise access_exception("You are not allowed to use the rest protocol (missing capability: webservice/rest:use)")
    return user, token


def _login(user):
    """enrol_check_plugins() at the fake login stores when enrolments were last synced."""
    now = int(time.time())
    last = int(user.preferences.get("last_time_enrolments_synced", 0) or 0)
    if now - last > 3600:
        user.preferences["last_time_enrolments_synced"] = str(now)


def load_function_info(site, functions, functionname, user, token, remote_addr):
    """webservice_server::load_function_info(): name given, function exists, service allows it."""
    if not functionname:
        raise invalid_parameter("Missing function name")
    function = functions.get(functionname) if isinstance(functionname, str) else None
    if function is None:
        raise missing_record(
            "external_functions", "SELECT * FROM {external_functions} WHERE name = ?", [str(functionname)]
        )
    service = site.services.get(token.serviceid)
    allowed = False
    if service is not None and service.enabled and functionname in service.functions:
        if not service.restrictedusers:
            allowed = True
        else:
            grant = service.authorised.get(user.id)
            now = time.time()
            # The SQL keeps `su.validuntil < :now` (sic), so a grant with a future validuntil is refused.
            if grant is not None and (not grant["validuntil"] or grant["validuntil"] < now):
                allowed = not grant["iprestriction"] or address_in_subnet(remote_addr, grant["iprestriction"])
        if allowed and service.requiredcapability and not user.can(service.requiredcapability):
            allowed = False
    if not allowed:
        raise access_exception(ACCESS_NOT_ALLOWED % functionname)
    return function
