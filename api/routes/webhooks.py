"""Organiser webhooks: subscribe a URL to order and ticket events, read the delivery log."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CreatorUser, Webhooks
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.webhooks.schemas import (
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookPublic,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
NOT_YOURS: Responses = {404: {"description": "No such subscription (or not yours)"}}
ROLES: Responses = {401: {"description": "Not signed in"}, 403: {"description": "Not an organiser"}}


@router.post(
    "",
    status_code=201,
    operation_id="webhooks_create",
    responses={
        **ROLES,
        404: {"description": "No such event"},
        422: {"description": "Invalid, or a URL that may not receive webhooks (`unsafe_url`)"},
    },
)
async def create_webhook(body: WebhookCreate, user: CreatorUser, hooks: Webhooks) -> WebhookCreated:
    """Subscribe a URL to order/ticket events of one event you manage (or of all of them).
    The answer carries the signing secret, once: deliveries are signed with
    `X-Ticketing-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>`."""
    return await hooks.create(user, body)


@router.get("", operation_id="webhooks_list", responses=ROLES)
async def list_webhooks(
    user: CreatorUser, hooks: Webhooks, limit: Limit = 20, cursor: Cursor = None
) -> WebhookPage:
    """Your subscriptions, newest first."""
    return await hooks.list(user, limit, cursor)


@router.get("/{webhook_id}", operation_id="webhooks_get", responses={**ROLES, **NOT_YOURS})
async def get_webhook(webhook_id: str, user: CreatorUser, hooks: Webhooks) -> WebhookPublic:
    """One of your subscriptions (admins: any)."""
    return await hooks.get(user, webhook_id)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    operation_id="webhooks_delete",
    responses={**ROLES, **NOT_YOURS},
)
async def delete_webhook(webhook_id: str, user: CreatorUser, hooks: Webhooks) -> Response:
    """Stop deliveries to this subscription (its log is kept)."""
    await hooks.delete(user, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="webhooks_deliveries",
    responses={**ROLES, **NOT_YOURS},
)
async def list_deliveries(
    webhook_id: str, user: CreatorUser, hooks: Webhooks, limit: Limit = 20, cursor: Cursor = None
) -> DeliveryPage:
    """The delivery log, newest attempt first: status code, attempt number, latency."""
    return await hooks.deliveries(user, webhook_id, limit, cursor)
