"""The workbench's front door, over real HTTP: signing in and out, sessions and their
cookies, CSRF, API tokens, disabled accounts, each role's view of itself, and the headers
every answer carries."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter
from web_server import PASSWORD, serving, web_server_fixture  # noqa: F401  (gives web_server)

from siteline.domain.entities import Site
from siteline.domain.roles import Permission, Role
from siteline.services import access, accounts, audit, sites
from siteline.services.accounts import MAX_FAILURES
from siteline.web.security import CSRF_HEADER, SESSION_COOKIE, allowed


def test_signing_in_gives_a_session_and_the_csrf_token(web_server):
    web_server.add_account("alice", "editor")
    client = web_server.client()
    answer = client.post("/api/session", json={"name": "alice", "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json()["account"]["name"] == "alice"
    assert len(answer.json()["csrf_token"]) >= 32
    me = client.get("/api/me").json()
    assert (me["name"], me["role"], me["via"]) == ("alice", "editor", "session")


def test_a_wrong_password_and_an_unknown_name_get_the_same_refusal(web_server):
    web_server.add_account("alice", "editor")
    client = web_server.client()
    wrong = client.post("/api/session", json={"name": "alice", "password": "not the password"})
    unknown = client.post("/api/session", json={"name": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "wrong name or password" in wrong.json()["error"]
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/me").status_code == 401


def test_failed_sign_ins_are_limited_per_name_then_even_the_right_password_is_refused(
    web_server,
):
    web_server.add_account("alice", "editor")
    client = web_server.client()
    for _ in range(MAX_FAILURES):
        answer = client.post("/api/session", json={"name": "alice", "password": "guess guess 1"})
        assert answer.status_code == 401
    refused = client.post("/api/session", json={"name": "alice", "password": PASSWORD})
    assert refused.status_code == 429
    assert "too many failed attempts" in refused.json()["error"]
    assert int(refused.headers["Retry-After"]) > 0
    # The same address guessing other names is refused too; other people are not.
    assert client.post("/api/session", json={"name": "bob", "password": "x"}).status_code == 429


def test_failed_sign_ins_are_limited_per_address(case):
    accounts.add_account(case, "alice", "editor", PASSWORD)
    for number in range(MAX_FAILURES):
        with pytest.raises(accounts.SignInRefused):
            accounts.verify_password(case, f"name{number}", "wrong password", "203.0.113.9")
    with pytest.raises(accounts.TooManyAttempts):
        accounts.verify_password(case, "alice", PASSWORD, "203.0.113.9")
    assert accounts.verify_password(case, "alice", PASSWORD, "198.51.100.7")["name"] == "alice"


def test_the_session_cookie_is_httponly_lax_and_secure_only_when_asked(case):
    accounts.add_account(case, "alice", "viewer", PASSWORD)
    for secure in (False, True):
        with serving(case, secure_cookies=secure) as server:
            answer = server.client().post(
                "/api/session", json={"name": "alice", "password": PASSWORD}
            )
            cookie = answer.headers["set-cookie"]
            attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
            assert cookie.startswith(f"{SESSION_COOKIE}=")
            assert {"httponly", "samesite=lax", "path=/"} <= attributes
            assert ("secure" in attributes) is secure


def test_a_change_with_the_session_cookie_needs_the_csrf_token(web_server):
    client = web_server.signed_in("alice", "editor")
    token = client.headers.pop(CSRF_HEADER)
    refused = client.post("/api/tokens", json={"label": "laptop"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    wrong = client.post("/api/tokens", json={"label": "laptop"}, headers={CSRF_HEADER: "x" * 43})
    assert wrong.status_code == 403
    assert access.list_tokens(web_server.case) == []
    made = client.post("/api/tokens", json={"label": "laptop"}, headers={CSRF_HEADER: token})
    assert made.status_code == 201
    assert made.json()["secret"].startswith(access.TOKEN_PREFIX)
    assert client.get("/api/tokens").json()[0]["label"] == "laptop"  # reading needs none


def test_signing_out_by_form_needs_the_csrf_field_and_ends_the_session(web_server):
    client = web_server.signed_in("alice", "viewer")
    cookie = client.cookies[SESSION_COOKIE]
    token = client.headers.pop(CSRF_HEADER)
    assert client.post("/logout").status_code == 403
    assert client.get("/api/me").status_code == 200
    answer = client.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    replay = web_server.client(cookies={SESSION_COOKIE: cookie})
    assert replay.get("/api/me").status_code == 401


def test_signing_out_through_the_api(web_server):
    client = web_server.signed_in("alice", "viewer")
    cookie = client.cookies[SESSION_COOKIE]
    assert client.delete("/api/session").status_code == 204
    replay = web_server.client(cookies={SESSION_COOKIE: cookie})
    assert replay.get("/api/me").status_code == 401


def test_a_bearer_token_signs_in_and_needs_no_csrf_token(web_server):
    robot = web_server.with_token("rob", "editor")
    me = robot.get("/api/me").json()
    assert (me["name"], me["via"]) == ("rob", "token")
    made = robot.post("/api/tokens", json={"label": "second"})
    assert made.status_code == 201
    listed = {token["label"] for token in robot.get("/api/tokens").json()}
    assert listed == {"tests", "second"}
    assert "secret" not in str(robot.get("/api/tokens").json())


def test_a_revoked_token_is_refused(web_server):
    robot = web_server.with_token("rob", "viewer")
    answer = robot.delete(f"/api/tokens/{robot.token_id}")
    assert answer.status_code == 200
    assert answer.json()["revoked_at"]
    refused = robot.get("/api/me")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]


def test_someone_elses_token_cannot_be_revoked_through_the_api(web_server):
    robot = web_server.with_token("rob", "viewer")
    other = web_server.signed_in("mia", "manager")
    assert other.delete(f"/api/tokens/{robot.token_id}").status_code == 404
    assert robot.get("/api/me").status_code == 200


def test_a_disabled_account_is_refused_everywhere(web_server):
    web_server.add_account("owner", "owner")
    client = web_server.signed_in("alice", "editor")
    robot = web_server.with_token("alice")
    accounts.disable(web_server.case, "alice")
    assert client.get("/api/me").status_code == 401
    assert robot.get("/api/me").status_code == 401
    again = web_server.client().post("/api/session", json={"name": "alice", "password": PASSWORD})
    assert again.status_code == 401
    assert "disabled" in again.json()["error"]


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_sees_its_own_permissions_and_sensitivities(web_server, role):
    me = web_server.signed_in("person", role).get("/api/me").json()
    assert me["role"] == role
    expected = {
        "viewer": ["public"],
        "reviewer": ["public", "restricted"],
        "editor": ["public", "restricted"],
        "manager": ["confidential", "public", "restricted"],
        "owner": ["confidential", "public", "restricted"],
    }[role]
    assert me["sensitivities"] == expected
    assert me["may_open_sealed"] is ("confidential" in expected)  # the test case has its key
    assert ("manage_accounts" in me["permissions"]) is (role in ("manager", "owner"))
    assert ("edit" in me["permissions"]) is (role in ("editor", "manager", "owner"))
    counts = web_server.signed_in("person").get("/api/case").json()["counts"]
    assert ("account" in counts) is (role in ("manager", "owner"))


def test_the_sign_in_page_and_form_lead_to_the_dashboard(web_server):
    web_server.add_account("alice", "reviewer")
    client = web_server.client()
    sent_away = client.get("/")
    assert sent_away.status_code == 303
    assert sent_away.headers["location"] == "/login?next=/"
    form = client.get("/login?next=/")
    assert form.status_code == 200
    form_token = _form_token(form.text)
    forged = client.post(
        "/login", data={"name": "alice", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    wrong = client.post(
        "/login", data={"name": "alice", "password": "not it at all", "csrf_token": form_token}
    )
    assert wrong.status_code == 401
    assert "wrong name or password" in wrong.text
    form_token = _form_token(wrong.text)  # each form shown has a token of its own
    signed = client.post(
        "/login",
        data={"name": "alice", "password": PASSWORD, "csrf_token": form_token, "next": "//evil"},
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"  # never to another site
    page = client.get("/")
    assert page.status_code == 200
    assert "Test case" in page.text and "alice" in page.text and "reviewer" in page.text


def _form_token(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_every_answer_carries_the_security_headers(web_server):
    client = web_server.signed_in("alice", "viewer")
    anonymous = web_server.client()
    answers = [
        client.get("/"),
        client.get("/api/me"),
        anonymous.get("/login"),
        anonymous.get("/api/me"),
        anonymous.get("/api/no-such-thing"),
        anonymous.get("/no-such-page"),
        anonymous.get("/static/siteline.css"),
        anonymous.get("/api/openapi.json"),
    ]
    for answer in answers:
        headers = answer.headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
    assert answers[0].headers["cache-control"] == "no-store"
    assert "<script" not in answers[0].text and "style=" not in answers[0].text


def test_refusals_are_json_under_api_and_never_echo_the_input(web_server):
    client = web_server.client()
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not Found"}
    bad = client.post("/api/session", json={"name": "alice", "password": ["secret words"]})
    assert bad.status_code == 422
    assert "password" in bad.json()["error"]
    assert "secret words" not in bad.text
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    too_big = web_server.signed_in("alice", "viewer").delete(f"/api/tokens/{2**70}")
    assert too_big.status_code == 422


def test_the_api_is_described_and_documented_without_a_cdn(web_server):
    document = web_server.client().get("/api/openapi.json").json()
    assert {"/api/session", "/api/me", "/api/tokens", "/api/case"} <= set(document["paths"])
    docs = web_server.client().get("/api/docs")
    assert docs.status_code == 200
    assert "/api/tokens" in docs.text
    assert "<script" not in docs.text and 'href="http' not in docs.text


JSON = {"Content-Type": "application/json"}


def _json(value) -> bytes:
    """JSON as any client may send it: a lone surrogate escaped (httpx would refuse it)."""
    return json.dumps(value).encode()


NASTY = ["\x00", "al\x00ice", "\ud800", "x" * 5000, "", " ", "'; DROP TABLE accounts; --", "é" * 81]


def test_nasty_input_is_refused_never_a_server_error(web_server):
    web_server.add_account("alice", "editor")
    client = web_server.client()
    for text in NASTY:
        for body in ({"name": text, "password": PASSWORD}, {"name": "bob", "password": text}):
            answer = client.post("/api/session", content=_json(body), headers=JSON)
            assert answer.status_code in (401, 422, 429), (body, answer.text)
            assert "error" in answer.json()
    robot = web_server.with_token("rob", "viewer")
    for text in NASTY:
        answer = robot.post("/api/tokens", content=_json({"label": text}), headers=JSON)
        plain = text.strip() and text.isprintable() and len(text) <= 200
        assert answer.status_code == (201 if plain else 422), (text, answer.text)
    for path in ("/api/tokens/0", "/api/tokens/-1", "/api/tokens/x", "/api/tokens/99999"):
        assert robot.delete(path).status_code in (404, 422)
    for header in ("Bearer", "Bearer \x7f", "Basic abc", "Bearer " + "y" * 5000):
        answer = web_server.client(headers={"Authorization": header}).get("/api/me")
        assert answer.status_code == 401, (header, answer.text)


# At module level: annotations are read from the module's names.
Manager = allowed(Permission.MANAGE_ACCOUNTS)


def test_a_route_refuses_roles_without_its_permission_and_writes_as_the_person(web_server):
    """What routes of other modules rely on: `allowed(...)` refuses with 403, and a change
    made through `viewer.case` is recorded in the audit chain under the person's name."""
    router = APIRouter()

    @router.post("/api/test-site")
    def add(viewer: Manager) -> dict:
        return sites.add_site(viewer.case, Site("Northgate Hospital"))

    web_server.app.include_router(router)
    viewer = web_server.signed_in("vera", "viewer")
    refused = viewer.post("/api/test-site")
    assert refused.status_code == 403
    assert "a viewer may not manage_accounts" in refused.json()["error"]
    assert web_server.with_token("mia", "manager").post("/api/test-site").status_code == 200
    last = audit.load_chain(web_server.case)[-1]
    assert (last["object_type"], last["actor"]) == ("site", "mia")
