"""The SCIM server's protocol: authentication, CRUD, filters, paging, errors (never a 500)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.directory.conftest import AUTH, USER, new_group, new_user


def test_a_wrong_or_missing_token_gets_401_with_a_scim_error(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic s3cret"}):
        got = client.get("/scim/v2/Users", headers=headers)
        assert got.status_code == 401
        assert "urn:ietf:params:scim:api:messages:2.0:Error" in got.json()["schemas"]
    assert client.get("/scim/v2/ServiceProviderConfig").status_code == 200


def test_create_read_filter_replace_patch_delete(client: TestClient) -> None:
    frank = new_user(client, "frank@example.com", displayName="Frank", timezone="Europe/Berlin")
    assert frank["meta"]["version"] and frank["timezone"] == "Europe/Berlin"
    read = client.get(f"/scim/v2/Users/{frank['id']}", headers=AUTH)
    assert read.json()["userName"] == "frank@example.com"
    assert read.headers["ETag"] == frank["meta"]["version"]
    found = client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "FRANK@example.com"'}, headers=AUTH
    ).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == frank["id"]
    replaced = client.put(
        f"/scim/v2/Users/{frank['id']}",
        json={"schemas": [USER], "userName": "frank@example.com", "displayName": "Frank F."},
        headers={**AUTH, "If-Match": frank["meta"]["version"]},
    )
    assert replaced.status_code == 200 and replaced.json()["displayName"] == "Frank F."
    stale = client.put(
        f"/scim/v2/Users/{frank['id']}",
        json={"schemas": [USER], "userName": "frank@example.com"},
        headers={**AUTH, "If-Match": frank["meta"]["version"]},
    )
    assert stale.status_code == 412
    patched = client.patch(
        f"/scim/v2/Users/{frank['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        headers=AUTH,
    )
    assert patched.status_code in (200, 204)
    assert client.get(f"/scim/v2/Users/{frank['id']}", headers=AUTH).json()["active"] is False
    group = new_group(client, "Engineering", [frank["id"]])
    assert group["members"][0]["value"] == frank["id"]
    assert client.delete(f"/scim/v2/Users/{frank['id']}", headers=AUTH).status_code == 204
    assert client.get(f"/scim/v2/Users/{frank['id']}", headers=AUTH).status_code == 404
    again = client.get(f"/scim/v2/Groups/{group['id']}", headers=AUTH).json()
    assert "members" not in again


def test_bad_input_gets_the_rfc_status_never_500(client: TestClient) -> None:
    new_user(client, "gina@example.com")
    duplicate = client.post(
        "/scim/v2/Users", json={"schemas": [USER], "userName": "Gina@example.com"}, headers=AUTH
    )
    assert duplicate.status_code == 409 and duplicate.json()["scimType"] == "uniqueness"
    cases = [
        client.post("/scim/v2/Users", content=b"{not json", headers=AUTH),
        client.post("/scim/v2/Users", json={"schemas": [USER]}, headers=AUTH),
        client.post("/scim/v2/Users", json={"schemas": [USER], "userName": 3}, headers=AUTH),
        client.get("/scim/v2/Users", params={"filter": "userName eq"}, headers=AUTH),
        client.get("/scim/v2/Users", params={"filter": "(((("}, headers=AUTH),
        client.get("/scim/v2/Users", params={"startIndex": "x"}, headers=AUTH),
        client.get("/scim/v2/Users/nobody", headers=AUTH),
        client.post(
            "/scim/v2/Groups",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "X",
                "members": [{"value": "ghost"}],
            },
            headers=AUTH,
        ),
    ]
    cases += [
        client.post(
            "/scim/v2/Users", json={"schemas": [USER], "userName": "u", "bogus": 1}, headers=AUTH
        ),
        client.get("/scim/v2/Users", params={"filter": 'nosuch eq "x"'}, headers=AUTH),
        client.post(
            "/scim/v2/Users",
            json={"schemas": [USER], "userName": "x" * 2_000_000},
            headers=AUTH,
        ),
    ]
    for got in cases:
        assert 400 <= got.status_code < 500, (got.status_code, got.text)
        assert "urn:ietf:params:scim:api:messages:2.0:Error" in got.json()["schemas"]


def test_huge_pages_are_capped_and_paging_counts(client: TestClient) -> None:
    for n in range(7):
        new_user(client, f"user{n}@example.com")
    page = client.get(
        "/scim/v2/Users", params={"count": "100000", "startIndex": "3"}, headers=AUTH
    ).json()
    total = page["totalResults"]  # the five demo people and the seven new ones
    assert total == 12 and page["startIndex"] == 3 and len(page["Resources"]) == 10
    capped = client.get("/scim/v2/Users", params={"count": "100000"}, headers=AUTH).json()
    assert capped["itemsPerPage"] <= 50
    contains = client.get(
        "/scim/v2/Users", params={"filter": 'userName co "user1"'}, headers=AUTH
    ).json()
    assert [r["userName"] for r in contains["Resources"]] == ["user1@example.com"]


def test_an_odd_time_zone_is_kept_but_not_used(client: TestClient) -> None:
    made = new_user(client, "tz@example.com", timezone="Mars/Base")
    assert made["timezone"] == "Mars/Base"
    new_user(client, "berlin@example.com", timezone="Europe/Berlin")
    directory = client.app.state.runtime.assistant.directory  # type: ignore[attr-defined]
    assert directory.find("tz@example.com").tz == "UTC"
    assert directory.find("berlin@example.com").tz == "Europe/Berlin"
