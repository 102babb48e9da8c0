# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares, and the client built from them.

Documented once in ``doc_fragments/connection.py``; defined once here.
"""

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    MoodleClient,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy

# Requests in flight at most (doc_fragments/connection.py says what load that puts on a site).
DEFAULT_PARALLEL = 4


def connection_argument_spec():
    return dict(
        moodle_url=dict(type="str", required=True, fallback=(env_fallback, ["MOODLE_BASE_URL", "MOODLE_URL"])),
        moodle_token=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["MOODLE_TOKEN"])),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=30),
        max_input_vars=dict(type="int", default=1000),
        retries=dict(type="raw", default=3),
        parallel=dict(type="int", default=DEFAULT_PARALLEL),
    )


def client_from_module(module):
    """Build the client from the module's parameters, or fail the module with what to fix."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds")
    if params["parallel"] < 1:
        module.fail_json(msg="parallel must be at least 1 (1 sends one request at a time)")
    try:
        policy = RetryPolicy.from_option(params["retries"])
        client = MoodleClient(
            params["moodle_url"],
            params["moodle_token"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
            timeout=params["timeout"],
            max_input_vars=params["max_input_vars"],
            retry_policy=policy,
            parallel=params["parallel"],
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if not params["validate_certs"] and not params["ca_path"]:
        module.warn(
            "validate_certs is false: the Moodle site's TLS certificate is not checked, so the token "
            "can be intercepted. Give the site's CA bundle in ca_path instead."
        )
    return client
