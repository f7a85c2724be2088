"""The web pages in a real browser (Debian's Chromium, driven by Playwright) against the
whole platform served over HTTP: a purchase with a test card, two buyers watching each
other's holds live, the organiser's dashboard during a load, and the admin's page.
Screenshots go to tests/e2e/artifacts/ (linked from the README)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.web_support import ARTIFACTS, Site, browser, sign_in, site
from tests.integration.payments_support import localstripe
from tests.integration.ray_support import ray_local

__all__ = ["browser", "localstripe", "ray_local", "site"]  # fixtures (site needs Ray)

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}  # an iPhone 12-sized viewport
TICKET_CARD = {
    "number": "4242424242424242",  # Stripe's test Visa
    "exp_month": "12",
    "exp_year": "34",
    "cvc": "123",
    "postal_code": "75001",
}


def seat(page: Any, seat_id: str) -> Any:
    return page.locator(f'[data-seat="{seat_id}"]')


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def counter(page: Any, key: str) -> int:
    return int(page.locator(f"#count-{key}").inner_text())


def test_a_buyer_picks_two_seats_sees_the_countdown_pays_and_gets_two_tickets(
    browser: Any, site: Site
) -> None:
    creator = site.account("event_creator", name="Organiser")
    word = f"Aurora{uuid.uuid4().hex[:6]}"
    event_id = site.on_sale_event(creator, f"{word} Night Concert")
    buyer = site.account(name="Ann Buyer")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, site, buyer, "/web/")
    search = page.get_by_role("search")  # the events, found by a word of the title
    search.get_by_label("Search").fill(word)
    search.get_by_label("City").fill("paris")
    search.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"{word} Night Concert").wait_for()
    screenshot(page, "buyer-events.png")
    page.get_by_role("link", name=f"{word} Night Concert").click()
    page.wait_for_url(f"**/web/event.html?id={event_id}")

    first = seat(page, "A-2-3")
    first.wait_for()
    page.wait_for_selector('[data-seat="A-2-3"][data-state="A"]')
    first.click()  # the mouse picks one seat, the keyboard the next
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    for seat_id in ("A-2-3", "A-2-4"):
        assert seat(page, seat_id).get_attribute("aria-checked") == "true"
    label = seat(page, "A-2-4").get_attribute("aria-label")
    assert label.startswith("Section A, row 2, seat 4,"), label
    page.get_by_role("button", name="Hold 2 seats").click()

    countdown = page.get_by_role("timer")
    countdown.wait_for()
    page.wait_for_function("document.querySelector('#countdown').textContent.includes(':')")
    before = countdown.inner_text()
    assert re.fullmatch(r"(9|10):\d\d", before), before  # a 600 s hold, just taken
    page.wait_for_function(f"document.querySelector('#countdown').textContent !== '{before}'")
    page.wait_for_selector('[data-seat="A-2-3"].mine')
    page.reload()  # the hold and its countdown survive a reload of the page
    page.get_by_role("timer").wait_for()
    page.wait_for_selector('[data-seat="A-2-4"].mine')
    assert re.fullmatch(r"(9|10):\d\d", countdown.inner_text())
    for field, value in TICKET_CARD.items():  # localstripe's stand-in card form
        page.locator(f'#card-element input[placeholder="{field}"]').fill(value)
    screenshot(page, "buyer-event.png")

    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/web/tickets.html?order=*", timeout=30_000)
    tickets = page.locator(".ticket")
    tickets.nth(1).wait_for()
    assert tickets.count() == 2
    seats = sorted(t.inner_text() for t in page.locator(".ticket >> text=/Seat A-2-\\d/").all())
    assert [s.split()[1] for s in seats] == ["A-2-3", "A-2-4"], seats
    assert page.locator(".ticket .qr svg").count() == 2
    assert site.availability(event_id)["sold"] == 2
    page.set_viewport_size(PHONE)
    screenshot(page, "buyer-tickets-phone.png")
    context.close()


def test_a_waiting_list_offer_link_opens_the_event_page_at_the_hold_to_pay(
    browser: Any, site: Site
) -> None:
    # What the offer email links to (workers.notifications.notices.offer_url): a hold
    # made in the buyer's name, opened in a browser that never saw it (no saved state).
    creator = site.account("event_creator", name="Organiser")
    event_id = site.on_sale_event(creator, f"Offer{uuid.uuid4().hex[:6]} Concert")
    buyer = site.account(name="Offered Buyer")
    held = site.ok(
        site.http.post(
            "/v1/tickets/reserve",
            json={"event_id": event_id, "seats": ["A-1-5"]},
            headers=buyer.headers,
        ),
        201,
    )
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    offer = f"/web/event.html?id={event_id}&reservation={held['reservation_id']}"
    page.goto(f"{site.url}{offer}")  # signed out: the page asks to sign in, then returns
    page.wait_for_url("**/web/login.html?next=*")
    sign_in(page, site, buyer, offer)
    page.get_by_role("timer").wait_for()
    page.wait_for_selector('[data-seat="A-1-5"].mine')
    assert "A-1-5" in page.locator("#hold-summary").inner_text()
    other = site.account(name="Not The Buyer")  # someone else's offer is not theirs
    page.evaluate("sessionStorage.clear()")
    sign_in(page, site, other, offer)
    page.get_by_text("This offer can no longer be paid").wait_for()
    assert page.get_by_role("timer").is_hidden()
    context.close()


def test_a_seat_held_in_one_browser_greys_out_in_another_within_two_seconds(
    browser: Any, site: Site
) -> None:
    creator = site.account("event_creator", name="Organiser")
    event_id = site.on_sale_event(creator, "Two Browsers")
    path = f"/web/event.html?id={event_id}"
    first, second = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=PHONE)
    holder, watcher = first.new_page(), second.new_page()
    sign_in(holder, site, site.account(name="Holder"), path)
    sign_in(watcher, site, site.account(name="Watcher"), path)
    watcher.wait_for_selector('[data-seat="A-1-5"][data-state="A"]')
    holder.wait_for_selector('[data-seat="A-1-5"][data-state="A"]')

    seat(holder, "A-1-5").click()
    holder.get_by_role("button", name="Hold 1 seat").click()
    holder.get_by_role("timer").wait_for()
    held_at = time.monotonic()
    watcher.wait_for_selector('[data-seat="A-1-5"][data-state="H"]', timeout=2_000)
    assert time.monotonic() - held_at < 2.0

    taken = seat(watcher, "A-1-5")
    assert taken.get_attribute("aria-disabled") == "true"
    assert "held" in taken.get_attribute("aria-label")
    taken.click(force=True)  # a person can click it: nothing must happen
    assert taken.get_attribute("aria-checked") == "false"
    watcher.keyboard.press("Space")  # the click focused it: the keyboard cannot pick it either
    assert taken.get_attribute("aria-checked") == "false"
    assert "A-1-5 is held" in watcher.locator("#announce").inner_text()
    assert watcher.get_by_role("button", name="Pick seats on the map").is_disabled()
    screenshot(watcher, "buyer-event-phone.png")

    floor = watcher.locator('li[data-area="FLOOR"]')  # a standing area: a quantity instead
    floor.get_by_label("Places in FLOOR").fill("2")
    floor.get_by_role("button", name="Hold").click()
    watcher.get_by_role("timer").wait_for()
    holder.locator('li[data-area="FLOOR"] .remaining', has_text="98 left").wait_for(timeout=2_000)
    first.close()
    second.close()


def load(site: Site, event_id: str, failures: list[BaseException]) -> None:
    """A few dozen reservations through the API from 18 buyers (two holds each, within
    the limit of six), a few of them paid. Failures are kept for the test to report."""
    try:
        for i in range(36):
            headers = site.bearer(f"load-buyer-{i % 18}")
            body: dict[str, Any] = {"event_id": event_id}
            if i % 3:
                body.update(seats=[f"A-{1 + i // 10}-{1 + i % 10}"])
            else:
                body.update(area="FLOOR", quantity=2)
            held = site.ok(site.http.post("/v1/tickets/reserve", json=body, headers=headers), 201)
            if i % 6 == 0:
                pay = {"reservation_id": held["reservation_id"], "payment_method": "pm_card_visa"}
                site.ok(site.http.post("/v1/payments/process", json=pay, headers=headers), 202)
            time.sleep(0.1)  # spread over a few seconds, as a sale would be
    except BaseException as exc:
        failures.append(exc)


def test_the_organiser_creates_publishes_and_watches_the_counters_move_during_a_load(
    browser: Any, site: Site
) -> None:
    organiser = site.account("event_creator", name="Olive Organiser")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, site, organiser, "/web/organiser.html")

    venue = page.locator("#venue-form")
    venue.get_by_label("Name", exact=True).fill("Le Trianon")
    venue.get_by_label("City", exact=True).fill("Paris")
    venue.get_by_label("Country", exact=True).fill("FR")
    venue.get_by_label("Seated sections").fill("A 4x10")
    venue.get_by_label("Standing areas").fill("FLOOR 100")
    venue.get_by_role("button", name="Create venue").click()
    page.get_by_text("Venue Le Trianon created (140 places).").wait_for()
    form = page.locator("#event-form")
    form.get_by_label("Title", exact=True).fill("Dashboard Night")
    form.get_by_label("A (seated)").wait_for()
    form.get_by_role("button", name="Create draft").click()
    row = page.locator("#my-events tr", has_text="Dashboard Night")
    row.get_by_role("button", name="Publish").click()
    row.get_by_role("link", name="Live view").click()
    event_id = page.url.rsplit("=", 1)[1]

    page.wait_for_function("document.querySelector('#count-available')?.textContent === '140'")
    assert (counter(page, "held"), counter(page, "sold")) == (0, 0)
    failures: list[BaseException] = []
    worker = threading.Thread(target=load, args=(site, event_id, failures), daemon=True)
    worker.start()
    page.wait_for_function(
        "Number(document.querySelector('#count-held')?.textContent) > 0", timeout=10_000
    )
    page.wait_for_function(
        "Number(document.querySelector('#count-sold')?.textContent) > 0", timeout=30_000
    )
    worker.join(60)
    assert not worker.is_alive() and not failures, failures
    expected = site.availability(event_id)
    page.wait_for_function(
        "([held, sold]) => Number(document.querySelector('#count-held')?.textContent) === held"
        " && Number(document.querySelector('#count-sold')?.textContent) === sold",
        arg=[expected["held"], expected["sold"]],
        timeout=30_000,
    )
    assert counter(page, "available") == expected["available"] < 140
    assert re.search(r"[1-9]", page.locator("#count-revenue").inner_text())
    assert float(page.locator("#count-rate").inner_text()) > 0
    assert page.locator("#count-queue").inner_text() in ("off", "0")
    page.wait_for_function(  # the chart draws lines of two points at least
        "() => [...document.querySelectorAll('polyline')]"
        ".some((line) => line.getAttribute('points').trim().split(' ').length >= 2)",
        timeout=30_000,
    )
    screenshot(page, "organiser-dashboard.png")
    context.close()


def test_the_admin_sees_accounts_and_where_the_inventory_actors_run(
    browser: Any, site: Site
) -> None:
    creator = site.account("event_creator", name="Placed Organiser")
    event_id = site.on_sale_event(creator, "Placed Event")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, site, site.admin, "/web/admin.html")
    page.locator(f'#users tr[data-user="{creator.id}"]').wait_for()
    roles = page.get_by_role("group", name=f"Roles of {creator.email}")
    assert roles.get_by_role("checkbox", name="event_creator").is_checked()
    placement = page.locator("#placement")
    placement.get_by_text("Placed Event").wait_for()
    node = site.ok(site.http.get("/v1/admin/placement", headers=site.admin.headers))
    [placed] = [e for e in node["events"] if e["event_id"] == event_id]
    assert placed["actors"][0]["node_id"] == node["nodes"][0]["node_id"]
    assert "alive" in page.locator("#nodes").inner_text()
    screenshot(page, "admin.png")
    context.close()


def test_behind_a_waiting_room_a_buyer_joins_the_line_then_holds_once_admitted(
    browser: Any, site: Site
) -> None:
    organiser = site.account("event_creator", name="Queue Organiser")
    event_id = site.on_sale_event(organiser, "Queued Sale")
    room = {"max_active": 10, "admission_ttl_seconds": 300}
    path = f"/v1/events/{event_id}/waiting-room"
    site.ok(site.http.put(path, json=room, headers=organiser.headers))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, site, site.account(name="Queued Buyer"), f"/web/event.html?id={event_id}")

    page.wait_for_selector('[data-seat="A-3-3"][data-state="A"]')
    seat(page, "A-3-3").click()
    assert page.get_by_role("button", name="Wait for your turn in line").is_disabled()
    page.get_by_role("button", name="Join the line").click()
    page.get_by_text("It is your turn").wait_for(timeout=10_000)  # automatic admission
    page.get_by_role("button", name="Hold 1 seat").click()  # with the admission token
    page.get_by_role("timer").wait_for()
    page.wait_for_selector('[data-seat="A-3-3"].mine')
    assert site.availability(event_id)["held"] == 1

    dashboard = context.new_page()  # the organiser's view shows the line (empty now)
    sign_in(dashboard, site, organiser, f"/web/organiser.html?event={event_id}")
    dashboard.wait_for_function("document.querySelector('#count-queue')?.textContent === '0'")
    context.close()


def test_the_login_page_never_sends_the_browser_off_the_site(browser: Any, site: Site) -> None:
    """``next=/%5Cexample.invalid/`` once led to http://example.invalid/ ("\\" is "/" to
    the browser): after signing in the browser lands on the site's home page instead."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    account = site.account(name="Redirected Buyer")
    page.goto(f"{site.url}/web/login.html?next=/%5Cexample.invalid/")
    page.get_by_label("Email").first.fill(account.email)
    page.get_by_label("Password").first.fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/web/")
    assert not [url for url in requested if urlsplit(url).hostname == "example.invalid"]
    context.close()
