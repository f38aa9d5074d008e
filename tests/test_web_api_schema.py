"""schemathesis against the live workbench: every operation of /api/openapi.json, with
inputs made from the document itself, as an owner (who may do anything) and as a viewer
(refused most changes). No answer may be a server error, and every answer must be what
the document says (status, content type, body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from web_api_case import populate
from web_server import web_server_fixture  # noqa: F401  (gives web_server)

from siteline.services import access

# No server error, and the answer as documented. Not `positive_data_acceptance`: input of
# the right shape is still refused (422) when it means nothing (a date of "0", a site
# that does not exist), which is right.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

EXAMPLES = 12  # per operation and role: enough to find a crash, short enough to run often
# Operations that end the session or token the run signs in with are left out; the
# session's own routes are tested in test_web_auth.py.
LEFT_OUT = {("DELETE", "/api/session"), ("POST", "/api/session"), ("DELETE", "/api/tokens/{token_id}")}  # fmt: skip


def operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in LEFT_OUT:
            yield operation


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_no_operation_fails_or_breaks_its_schema(web_server, role):
    populate(web_server.case)
    web_server.add_account(f"the-{role}", role)
    _, secret = access.create_token(web_server.case, f"the-{role}", "schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_url(f"{web_server.url}/api/openapi.json")
    answered: dict[str, set[int]] = {}
    for operation in operations(schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            answer = case.call_and_validate(base_url=web_server.url, headers=headers, checks=CHECKS)
            name = f"{case.operation.method.upper()} {case.operation.path}"
            answered.setdefault(name, set()).add(answer.status_code)

        run()
    # The run was signed in and reached the routes: most operations answered with success.
    succeeded = [name for name, codes in answered.items() if any(c < 300 for c in codes)]
    assert len(answered) >= 30, sorted(answered)
    assert len(succeeded) >= (20 if role == "owner" else 12), answered


def test_the_document_describes_every_api_route(web_server):
    document = web_server.client().get("/api/openapi.json").json()
    assert {"/api/evidence", "/api/evidence/{evidence_id}", "/api/claims/{claim_id}"} <= set(
        document["paths"]
    )
