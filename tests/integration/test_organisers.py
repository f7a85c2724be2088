"""Organisers with teams and per-member permissions, and the audit log of what they do:
real Ray, MongoDB over the wire (mongoeco), through the ASGI app."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from contexts.organisers import audit_store as audit_module
from contexts.organisers.audit_store import AuditStore
from tests.integration.api_support import Api, api
from tests.integration.organiser_support import PROBLEM, add, audit, event_body, organiser, venue
from tests.integration.ray_support import ray_local

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert (response.json()["status"], response.json()["code"]) == (status, code)


async def test_members_act_by_their_permissions_and_every_action_is_audited(api: Api) -> None:
    owner, admin = await api.user("event_creator"), await api.user("admin")
    editor, viewer = await api.user(), await api.user()  # plain accounts: the team decides
    stranger = await api.user("event_creator")
    refused(await api.client.post("/v1/organisers", json={"name": "X"}, headers=editor["headers"]),
            403, "forbidden")  # fmt: skip
    org = await organiser(api, owner)
    await add(api, org, owner, editor, "manage_events")
    await add(api, org, owner, viewer, "view_reports")
    team = await api.client.get(f"/v1/organisers/{org}", headers=viewer["headers"])
    assert {m["user_id"]: m["permissions"] for m in team.json()["members"]} == {
        owner["id"]: ["manage_events", "view_reports", "refund", "manage_team", "check_in"],
        editor["id"]: ["manage_events"],
        viewer["id"]: ["view_reports"],
    }
    mine = await api.client.get("/v1/organisers/mine", headers=editor["headers"])
    assert [o["id"] for o in mine.json()["items"]] == [org]
    refused(await api.client.get(f"/v1/organisers/{org}", headers=stranger["headers"]),
            404, "not_found")  # fmt: skip

    venue_id = await venue(api, owner)
    body = event_body(venue_id, org)
    refused(await api.client.post("/v1/events", json=body, headers=viewer["headers"]),
            403, "forbidden")  # fmt: skip
    refused(await api.client.post("/v1/events", json=body, headers=stranger["headers"]),
            404, "not_found")  # fmt: skip
    created = await api.client.post("/v1/events", json=body, headers=editor["headers"])
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["organiser_id"], event["owner_id"]) == (org, editor["id"])
    url = f"/v1/events/{event['id']}"

    # The draft: the team sees it, a stranger does not even learn it exists.
    assert (await api.client.get(url, headers=viewer["headers"])).status_code == 200
    refused(await api.client.get(url, headers=stranger["headers"]), 404, "not_found")
    for caller, expected in ((viewer, [event["id"]]), (stranger, []), (owner, [event["id"]])):
        mine = await api.client.get("/v1/events?mine=true", headers=caller["headers"])
        assert [e["id"] for e in mine.json()["items"]] == expected, mine.text
    edit = {"description": "Doors at 19:00"}
    refused(await api.client.patch(url, json=edit, headers=viewer["headers"]), 403, "forbidden")
    refused(await api.client.patch(url, json=edit, headers=stranger["headers"]), 404, "not_found")
    edited = await api.client.patch(url, json=edit, headers=editor["headers"])
    assert edited.status_code == 200 and edited.json()["description"] == "Doors at 19:00"
    refused(await api.client.post(f"{url}/publish", headers=viewer["headers"]), 403, "forbidden")
    published = await api.client.post(f"{url}/publish", headers=editor["headers"])
    assert published.status_code == 200 and published.json()["status"] == "on_sale"

    # Published: everyone sees it; only the permission (or admin) changes it.
    retitle = {"title": "Team night (late show)"}
    refused(await api.client.patch(url, json=retitle, headers=stranger["headers"]),
            403, "forbidden")  # fmt: skip
    assert (await api.client.patch(url, json=retitle, headers=admin["headers"])).status_code == 200

    # Team changes: a permission granted works at once, a removed member loses it at once.
    members = f"/v1/organisers/{org}/members"
    refused(await api.client.post(members, json={"email": stranger["email"], "permissions": []},
                                  headers=viewer["headers"]), 403, "forbidden")  # fmt: skip
    grant = {"permissions": ["view_reports", "manage_events"]}
    patched = await api.client.patch(f"{members}/{viewer['id']}", json=grant,
                                     headers=owner["headers"])  # fmt: skip
    assert patched.status_code == 200, patched.text
    again = await api.client.patch(url, json={"description": "By the viewer"},
                                   headers=viewer["headers"])  # fmt: skip
    assert again.status_code == 200, again.text
    removed = await api.client.delete(f"{members}/{editor['id']}", headers=owner["headers"])
    assert removed.status_code == 204, removed.text
    refused(await api.client.patch(url, json=edit, headers=editor["headers"]), 403, "forbidden")
    refused(await api.client.patch(f"{members}/{owner['id']}", json={"permissions": []},
                                   headers=owner["headers"]), 409, "last_manager")  # fmt: skip
    refused(await api.client.post(members, json={"email": viewer["email"], "permissions": []},
                                  headers=owner["headers"]), 409, "already_member")  # fmt: skip

    # The audit log: each action, by whom, with before/after for the update.
    on_event = await audit(api, admin, target=event["id"])
    actions = [(e["action"], e["actor_id"]) for e in reversed(on_event)]
    assert actions == [
        ("event.create", editor["id"]),
        ("event.update", editor["id"]),
        ("event.publish", editor["id"]),
        ("event.update", admin["id"]),
        ("event.update", viewer["id"]),
    ], actions
    update = next(e for e in reversed(on_event) if e["action"] == "event.update")
    assert update["before"] == {"description": ""}
    assert update["after"] == {"description": "Doors at 19:00"}
    assert update["organiser_id"] == org and update["actor_roles"] == ["user"]
    by_admin = next(e for e in on_event if e["actor_id"] == admin["id"])
    assert (by_admin["before"], by_admin["after"]) == (
        {"title": "Team night"},
        {"title": "Team night (late show)"},
    )
    team_log = [(e["action"], e["target_id"]) for e in await audit(api, admin, actor=owner["id"])]
    assert ("organiser.create", org) in team_log and ("venue.create", venue_id) in team_log
    assert ("member.remove", editor["id"]) in team_log
    change = (await audit(api, admin, action="member.update", target=viewer["id"]))[0]
    assert change["before"] == {"permissions": ["view_reports"]}
    assert change["after"] == {"permissions": ["manage_events", "view_reports"]}


async def test_personal_events_still_belong_to_their_creator(api: Api) -> None:
    creator, other, member = (
        await api.user("event_creator"),
        await api.user("event_creator"),
        (await api.user()),
    )
    org = await organiser(api, other)
    await add(api, org, other, member, "manage_events")
    venue_id = await venue(api, creator)
    created = await api.client.post("/v1/events", json=event_body(venue_id, None),
                                    headers=creator["headers"])  # fmt: skip
    assert created.status_code == 201 and created.json()["organiser_id"] is None
    url = f"/v1/events/{created.json()['id']}"
    assert (await api.client.patch(url, json={"title": "Mine"},
                                   headers=creator["headers"])).status_code == 200  # fmt: skip
    refused(await api.client.patch(url, json={"title": "x"}, headers=member["headers"]),
            404, "not_found")  # fmt: skip
    # Without an organiser, a plain account still may not create events.
    refused(await api.client.post("/v1/events", json=event_body(venue_id, None),
                                  headers=member["headers"]), 403, "forbidden")  # fmt: skip


async def test_the_audit_log_is_admins_only_paginated_and_append_only(api: Api) -> None:
    admin, creator, user = (
        await api.user("admin"),
        await api.user("event_creator"),
        (await api.user()),
    )
    for i in range(5):
        await organiser(api, creator, f"Org {i}")
    for caller in (creator, user):
        refused(await api.client.get("/v1/admin/audit", headers=caller["headers"]),
                403, "forbidden")  # fmt: skip
    refused(await api.client.get("/v1/admin/audit"), 401, "unauthorized")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"actor": creator["id"], "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await api.client.get("/v1/admin/audit", params=params, headers=admin["headers"])
        assert page.status_code == 200, page.text
        seen += [e["id"] for e in page.json()["items"]]
        pages, cursor = pages + 1, page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5 and pages == 3
    everything = await audit(api, admin, actor=creator["id"])
    assert [e["id"] for e in everything] == seen
    bad = await api.client.get("/v1/admin/audit", params={"cursor": "nope"},
                               headers=admin["headers"])  # fmt: skip
    refused(bad, 422, "invalid_cursor")
    # A role change is an admin action: audited with the roles before and after.
    granted = await api.client.patch(f"/v1/admin/users/{user['id']}/roles",
                                     json={"roles": ["event_creator", "user"]},
                                     headers=admin["headers"])  # fmt: skip
    assert granted.status_code == 200, granted.text
    [roles] = await audit(api, admin, target=user["id"], action="user.roles")
    assert (roles["actor_id"], roles["before"], roles["after"]) == (
        admin["id"],
        {"roles": ["user"]},
        {"roles": ["event_creator", "user"]},
    )
    # Append-only: the repository has no way to change or remove an entry.
    methods = {n for n, _ in inspect.getmembers(AuditStore, inspect.isfunction)}
    assert methods == {"__init__", "ensure_indexes", "append", "page"}, methods
    source = inspect.getsource(audit_module)
    for verb in ("update_", "delete_", "replace_", "find_one_and_", "drop"):
        assert f".{verb}" not in source, verb


async def test_adding_a_member_checks_permission_before_looking_up_the_email(api: Api) -> None:
    """Otherwise anyone learns which emails have accounts (422 vs 403/404)."""
    owner, viewer, stranger = await api.user("event_creator"), await api.user(), await api.user()
    org = await organiser(api, owner)
    await add(api, org, owner, viewer, "view_reports")
    members = f"/v1/organisers/{org}/members"
    for email in (owner["email"], "nobody-here@example.com"):  # an account, and none
        body = {"email": email, "permissions": []}
        refused(await api.client.post(members, json=body, headers=viewer["headers"]),
                403, "forbidden")  # fmt: skip
        refused(await api.client.post(members, json=body, headers=stranger["headers"]),
                404, "not_found")  # fmt: skip
    body = {"email": "nobody-here@example.com", "permissions": []}
    refused(await api.client.post(members, json=body, headers=owner["headers"]),
            422, "unknown_account")  # fmt: skip
