"""Hypothesis-driven requests against every API operation, generated from /api/v1/openapi.json, as the tablets
send them (a session and its CSRF token) and as machine clients do (an API token): whatever arrives, no server
error, and every response matches the document."""

import schemathesis
from hypothesis import HealthCheck, given, settings

from .factories import issued_inspection, jpeg, make_inspection
from .helpers import Browser, issue_token, node

# Left out: "a schema-valid request is accepted": a random file is not a photo, a random item is not on this
# checklist and a random unit is not in scope, and the API says so with a 400 or a 404. And "invalid credentials
# are refused": each request here carries valid ones of its scheme besides those the check spoils, and either
# scheme suffices by design; test_api and test_api_tokens send bad sessions and tokens.
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.ignored_auth]


def fuzz(app, ids: dict[str, int], auth_for, examples: int = 100) -> None:
    """Every operation of the document, its path filled with real ids (deeper than a 404), `auth_for(operation)`
    giving the headers and cookies each is sent with."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19, operations
    for operation in operations:
        walk(operation, ids, *auth_for(operation), examples)


def walk(operation, ids: dict[str, int], headers: dict, cookies: dict, examples: int) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def call(case):
        for name in case.path_parameters or {}:
            if name in ids:
                case.path_parameters[name] = ids[name]
        case.call_and_validate(headers=headers, cookies=cookies, excluded_checks=EXCLUDED)

    call()


def test_the_api_never_fails_and_keeps_to_its_document(app, demo):
    inspection = make_inspection(templates=["network"])
    browser = Browser(app)
    browser.login("inspector")
    session = ({"X-CSRFToken": browser.token()}, {"session": browser.client.get_cookie("session").value})
    fuzz(app, {"inspection_id": inspection.id}, lambda _operation: session)


def test_the_api_never_fails_for_a_token_and_keeps_to_its_document(app, demo):
    """A city-wide client with every permission but answering tickets, and the unit's own client for that."""
    issued, notice, tickets = issued_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    make_inspection(templates=["network"])
    city = {"Authorization": "Bearer " + issue_token("city-system", "BC-BMJ", "figures.read", "inspections.read",
                                                     "inspections.plan", "scans.import", "tickets.read")}
    unit = {"Authorization": "Bearer " + issue_token("zfb-oa", "DH-ZFB", "tickets.read", "tickets.respond")}
    ids = {"inspection_id": issued.id, "ticket_id": tickets[0].id, "finding_id": tickets[0].finding_id,
           "notice_id": notice.id, "unit_id": node("DH-ZFB").id}
    assert jpeg()  # the factories' images are what a valid evidence file would be
    fuzz(app, ids, lambda operation: (unit if operation.path.endswith("/responses") else city, {}), examples=60)
