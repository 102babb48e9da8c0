# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  moodle_url:
    description:
      - Root URL of the Moodle site (its C(wwwroot)), for example C(https://moodle.example.org).
      - The client appends C(/webservice/rest/server.php); a URL that already ends with it is accepted too.
      - A query string is refused, so that the token can never travel in a URL.
      - If not set, the environment variable E(MOODLE_BASE_URL) is used, then E(MOODLE_URL).
    type: str
    required: true
  moodle_token:
    description:
      - Web service token of the API user (Site administration > Server > Web services > Manage tokens).
      - Sent only in the POST body, never in a URL, and never shown in results, errors or logs.
      - If not set, the environment variable E(MOODLE_TOKEN) is used.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the site's TLS certificate. Turning it off exposes the token to interception and emits a warning.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM bundle of certificate authorities to trust instead of the system's (for an internal CA).
    type: path
  timeout:
    description:
      - Seconds to wait for Moodle to answer one HTTP request.
    type: int
    default: 30
  max_input_vars:
    description:
      - The site's PHP C(max_input_vars). PHP silently drops form fields past this limit, so every request is
        split to stay under it.
      - The default is PHP's own default; Moodle requires 5000 on PHP 8, so most sites allow 5000, which means
        fewer, larger requests.
      - If the site's limit is lower than this value, the client notices (the request's last field,
        C(moodlewsrestformat=json), is then dropped and Moodle answers in XML), sends smaller requests from then
        on, resends cut reads, and reconciles cut writes by reading Moodle again.
    type: int
    default: 1000
  retries:
    description:
      - How failed reads are retried (connection errors and HTTP 429, 500, 502, 503, 504).
      - An integer is the number of extra attempts; a dictionary may set V(total), V(backoff_factor) (seconds,
        doubled at each attempt), V(max_backoff) (seconds) and V(statuses) (list of HTTP statuses).
      - Writes are never repeated blindly; a write whose answer was lost is reconciled by reading Moodle again.
    type: raw
    default: 3
  parallel:
    description:
      - How many requests may be in flight at once. Independent batches (lookups, creates, updates, deletes,
        cohort additions and removals) are then sent side by side over as many keep-alive connections; V(1) sends
        one request at a time.
      - The load on the site is at most this many PHP workers busy with this task's requests, each a batch
        of up to O(max_input_vars) form fields. The first request is always sent alone.
      - When the site shows strain (HTTP 429 or 503, a broken connection or a timeout), the number in flight is
        halved, down to one, and climbs back by one after as many successful requests as are in flight.
      - Whatever the value, nobody is created twice, results are in input order, and C(changed) and check mode
        are exact.
    type: int
    default: 4
    version_added: 0.1.0
requirements:
  - requests >= 2.25 (Python library, on the host that runs the module)
notes:
  - The API user needs the capability C(webservice/rest:use), which no role has by default, not even Manager.
    Run M(dsenroll.moodle.moodle_ws_info) or the C(dsenroll.moodle.preflight) role to check the whole set-up.
"""
