"""The templates shipped in code: seeded into MongoDB when absent, then edited there.

Keyed by (name, channel). Email templates have a subject, a plain-text body (always
sent: some clients and every spam filter read it) and an HTML body (autoescaped);
SMS templates have a text body only. Context available to every template: ``user``
(name, email), ``event_title`` (may be empty), ``event_id``, ``base_url``, plus each
kind's own fields (see ``workers.notifications.notices``). ``money`` formats an
amount in minor units with its currency.
"""

from __future__ import annotations

from typing import Any

_TICKETS_TEXT = """{% for t in tickets %}
- {% if t.seat %}Seat {{ t.seat }}{% else %}{{ t.area or "General admission" }}{% endif %}
  Ticket: {{ t.url }}
  QR code payload: {{ t.qr }}
{% endfor %}"""

_TICKETS_HTML = """<ul>{% for t in tickets %}
<li>{% if t.seat %}Seat {{ t.seat }}{% else %}{{ t.area or "General admission" }}{% endif %}:
<a href="{{ t.url }}">{{ t.url }}</a><br><code>{{ t.qr }}</code></li>{% endfor %}
</ul>"""

EVENT = "{{ event_title or 'your event' }}"
# The tickets a holder held (void now): where each was, and its page.
_HELD_TEXT = """{% for t in tickets %}
- {% if t.seat %}Seat {{ t.seat }}{% else %}{{ t.area or "General admission" }}{% endif %}
  {{ t.url }}
{% endfor %}"""
_HELD_HTML = """<ul>{% for t in tickets %}
<li>{% if t.seat %}Seat {{ t.seat }}{% else %}{{ t.area or "General admission" }}{% endif %}:
<a href="{{ t.url }}">ticket {{ t.ticket_id }}</a></li>{% endfor %}
</ul>"""

EMAIL: dict[str, dict[str, str]] = {
    "order_confirmed": {
        "subject": "Your tickets for " + EVENT,
        "text": "Hello {{ user.name }},\n\nYour order {{ order_id }} for "
        + EVENT
        + " is confirmed ({{ money(amount, currency) }}). Your tickets:\n"
        + _TICKETS_TEXT
        + "\nShow the QR code at the door.\n",
        "html": "<p>Hello {{ user.name }},</p><p>Your order {{ order_id }} for "
        + EVENT
        + " is confirmed ({{ money(amount, currency) }}). Your tickets:</p>"
        + _TICKETS_HTML
        + "<p>Show the QR code at the door.</p>",
    },
    "order_failed": {
        "subject": "Your payment for " + EVENT + " did not go through",
        "text": "Hello {{ user.name }},\n\nThe payment for order {{ order_id }} failed"
        "{% if reason %} ({{ reason }}){% endif %}. Your seats were released; you can "
        "try again at {{ base_url }}.\n",
        "html": "<p>Hello {{ user.name }},</p><p>The payment for order {{ order_id }} failed"
        "{% if reason %} ({{ reason }}){% endif %}. Your seats were released; you can "
        'try again at <a href="{{ base_url }}">{{ base_url }}</a>.</p>',
    },
    "order_refunded": {
        "subject": "Your order for " + EVENT + " was refunded",
        "text": "Hello {{ user.name }},\n\nOrder {{ order_id }} was refunded: "
        "{{ money(amount, currency) }}{% if reason %} ({{ reason }}){% endif %}. "
        "Its tickets are no longer valid.\n",
        "html": "<p>Hello {{ user.name }},</p><p>Order {{ order_id }} was refunded: "
        "{{ money(amount, currency) }}{% if reason %} ({{ reason }}){% endif %}. "
        "Its tickets are no longer valid.</p>",
    },
    "event_cancelled": {
        "subject": EVENT + " is cancelled",
        "text": "Hello {{ user.name }},\n\nWe are sorry: " + EVENT + " is cancelled. "
        "Your order will be refunded; you will receive a confirmation.\n",
        "html": "<p>Hello {{ user.name }},</p><p>We are sorry: " + EVENT + " is cancelled. "
        "Your order will be refunded; you will receive a confirmation.</p>",
    },
    "event_cancelled_holder": {
        "subject": EVENT + " is cancelled",
        "text": "Hello {{ user.name }},\n\nWe are sorry: " + EVENT + " is cancelled. The "
        "tickets you hold for it are void and will not be accepted at the door:\n"
        + _HELD_TEXT
        + "\nThey were transferred to you: the refund goes to the person who bought them.\n",
        "html": "<p>Hello {{ user.name }},</p><p>We are sorry: " + EVENT + " is cancelled. "
        "The tickets you hold for it are void and will not be accepted at the door:</p>"
        + _HELD_HTML
        + "<p>They were transferred to you: the refund goes to the person who bought them.</p>",
    },
    "ticket_refunded": {
        "subject": "Your ticket for " + EVENT + " is no longer valid",
        "text": "Hello {{ user.name }},\n\nThe order your ticket for " + EVENT + " came "
        "from was refunded{% if reason %} ({{ reason }}){% endif %}. These tickets you hold "
        "are void and will not be accepted at the door:\n"
        + _HELD_TEXT
        + "\nThe refund goes to the person who bought them.\n",
        "html": "<p>Hello {{ user.name }},</p><p>The order your ticket for " + EVENT + " came "
        "from was refunded{% if reason %} ({{ reason }}){% endif %}. These tickets you hold "
        "are void and will not be accepted at the door:</p>"
        + _HELD_HTML
        + "<p>The refund goes to the person who bought them.</p>",
    },
    "hold_expired": {
        "subject": "Your reservation for " + EVENT + " expired",
        "text": "Hello {{ user.name }},\n\nYou did not complete the payment in time, so "
        "the seats you reserved for " + EVENT + " were released. They may still be "
        "available at {{ base_url }}.\n",
        "html": "<p>Hello {{ user.name }},</p><p>You did not complete the payment in time, "
        "so the seats you reserved for " + EVENT + " were released. They may still be "
        'available at <a href="{{ base_url }}">{{ base_url }}</a>.</p>',
    },
    "waitlist_offer": {
        "subject": "Seats for " + EVENT + " are yours to book",
        "text": "Hello {{ user.name }},\n\nGood news from the waiting list: {{ quantity }} "
        "place(s) for " + EVENT + " are held in your name until {{ expires_at }} (UTC). "
        "Pay for reservation {{ reservation_id }} before then, or they pass to the next "
        "person in line:\n{{ reservation_url }}\n",
        "html": "<p>Hello {{ user.name }},</p><p>Good news from the waiting list: "
        "{{ quantity }} place(s) for " + EVENT + " are held in your name until "
        "{{ expires_at }} (UTC). Pay for reservation {{ reservation_id }} before then, or "
        'they pass to the next person in line: <a href="{{ reservation_url }}">'
        "{{ reservation_url }}</a></p>",
    },
    "ticket_transferred_out": {
        "subject": "Your ticket for " + EVENT + " was transferred",
        "text": "Hello {{ user.name }},\n\nYou sent ticket {{ ticket_id }} for " + EVENT + " to "
        "{{ to_email }}. It is no longer in your tickets and its old QR code will not be "
        "accepted at the door.\n",
        "html": "<p>Hello {{ user.name }},</p><p>You sent ticket {{ ticket_id }} for "
        + EVENT
        + " to {{ to_email }}. It is no longer in your tickets and its old QR code will not "
        "be accepted at the door.</p>",
    },
    "ticket_transferred_in": {
        "subject": "A ticket for " + EVENT + " is yours",
        "text": "Hello {{ user.name }},\n\nTicket {{ ticket_id }} for " + EVENT + " was "
        "transferred to you. Its QR code is here:\n{{ url }}\n",
        "html": "<p>Hello {{ user.name }},</p><p>Ticket {{ ticket_id }} for " + EVENT + " was "
        'transferred to you. Its QR code is here: <a href="{{ url }}">{{ url }}</a></p>',
    },
}

SMS: dict[str, dict[str, str]] = {
    "order_confirmed": {
        "text": "Order {{ order_id }} confirmed: {{ tickets|length }} "
        "ticket(s) for " + EVENT + ". Details by email."
    },
    "order_failed": {"text": "Payment for " + EVENT + " failed; your seats were released."},
    "order_refunded": {"text": "Order {{ order_id }} refunded: {{ money(amount, currency) }}."},
    "event_cancelled": {"text": EVENT + " is cancelled. You will be refunded."},
    "event_cancelled_holder": {
        "text": EVENT + " is cancelled: the tickets you hold for it are void."
    },
    "ticket_refunded": {"text": "Your ticket for " + EVENT + " was refunded to its buyer: void."},
    "hold_expired": {"text": "Your reservation for " + EVENT + " expired."},
    "waitlist_offer": {
        "text": "Waiting list: places for " + EVENT + " are held for you until "
        "{{ expires_at }}. {{ reservation_url }}"
    },
    "ticket_transferred_out": {"text": "Your ticket for " + EVENT + " went to {{ to_email }}."},
    "ticket_transferred_in": {"text": "A ticket for " + EVENT + " is yours: {{ url }}"},
}


def default_templates() -> list[dict[str, Any]]:
    """Every shipped template as a stored document (``_id`` is ``<name>:<channel>``)."""
    docs = []
    for channel, table in (("email", EMAIL), ("sms", SMS)):
        for name, parts in table.items():
            docs.append({"_id": f"{name}:{channel}", "name": name, "channel": channel, **parts})
    return docs
