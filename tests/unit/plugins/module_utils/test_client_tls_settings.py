# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ca_path and validate_certs hold even when the environment names a CA bundle for requests."""

import pytest
import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy

from support.recorded import BASE_URL, ENDPOINT, TOKEN, load_transcript


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
@pytest.mark.parametrize(
    "options, expected",
    [
        ({"ca_path": "/etc/moodle/internal-ca.pem"}, "/etc/moodle/internal-ca.pem"),
        ({"validate_certs": False}, False),
    ],
)
@responses.activate
def test_the_requests_ca_bundle_variables_do_not_override_the_clients_tls_settings(
    monkeypatch, variable, options, expected
):
    # requests merges these variables over a Session's verify unless verify is given per request.
    monkeypatch.setenv(variable, "/etc/ssl/certs/ca-certificates.crt")
    responses.add(
        responses.POST,
        ENDPOINT,
        body=load_transcript("lookup_admin_by_id_token_ok")["body"],
        content_type="application/json",
    )
    client = MoodleClient(BASE_URL, TOKEN, retry_policy=RetryPolicy(total=0), **options)

    client.call("core_user_get_users_by_field", {"field": "id", "values": [2]})

    assert responses.calls[0].request.req_kwargs["verify"] == expected


@responses.activate
def test_default_verification_still_uses_the_bundle_the_environment_names(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/pki/corporate-bundle.pem")
    responses.add(
        responses.POST,
        ENDPOINT,
        body=load_transcript("lookup_admin_by_id_token_ok")["body"],
        content_type="application/json",
    )
    client = MoodleClient(BASE_URL, TOKEN, retry_policy=RetryPolicy(total=0))

    client.call("core_user_get_users_by_field", {"field": "id", "values": [2]})

    assert responses.calls[0].request.req_kwargs["verify"] == "/etc/pki/corporate-bundle.pem"
