// The event page: the live seat map and standing areas, the buyer's selection, the hold
// with its countdown and the payment (checkout.js).
import { money, request, session, when } from "./api.js";
import { Checkout } from "./checkout.js";
import { el, loginUrl, notice, renderHeader } from "./layout.js";
import { showAreas } from "./areas.js";
import { openLive } from "./live.js";
import { QueuePanel, waitingRoom } from "./queue.js";
import { SeatMap } from "./seatmap.js";

const main = document.getElementById("main");
const eventId = new URLSearchParams(location.search).get("id");
const basket = document.getElementById("basket");
const announce = document.getElementById("announce");
const liveDot = document.getElementById("live");
let event = null;
let map = null;
let checkout = null;
let availability = null;
let waiting = false; // behind a waiting room and not admitted yet: no hold

function priceTable(prices, currency) {
  // Section or area name -> formatted price of one seat or place there.
  const table = {};
  for (const price of prices) {
    for (const name of [...price.sections, ...price.areas]) table[name] = { amount: price.amount, text: money(price.amount, currency) };
  }
  return table;
}

function say(text, kind = "info") {
  notice(main, text, kind);
}

function needSignIn() {
  if (session()) return false;
  location.assign(loginUrl());
  return true;
}

function renderBasket(seats) {
  // The seats picked so far, their total and the button that holds them.
  if (checkout?.reservation) return;
  const prices = priceTable(event.prices, event.currency);
  const sectionOf = (id) => document.querySelector(`[data-seat="${CSS.escape(id)}"]`)?.dataset.section;
  const total = seats.reduce((sum, id) => sum + (prices[sectionOf(id)]?.amount || 0), 0);
  const label = waiting ? "Wait for your turn in line"
    : seats.length ? `Hold ${seats.length} seat${seats.length > 1 ? "s" : ""}` : "Pick seats on the map";
  const button = el("button", { type: "button", id: "hold", disabled: waiting || !seats.length, onclick: () => holdSeats(seats) }, label);
  basket.replaceChildren(
    seats.length ? el("ul", { id: "picked" }, ...seats.map((id) => el("li", {}, id))) : el("p", { class: "muted" }, "No seat picked yet."),
    seats.length ? el("p", {}, "Total ", el("strong", {}, money(total, event.currency))) : "",
    button,
  );
}

async function holdSeats(seats) {
  if (needSignIn()) return;
  try {
    await checkout.hold({ seats });
  } catch (error) {
    say(error.status === 409 ? "Someone was faster: pick other seats." : error.message, "error");
  }
}

async function holdArea(area, quantity) {
  if (needSignIn()) return;
  try {
    await checkout.hold({ area, quantity: Number(quantity) });
  } catch (error) {
    say(error.message, "error");
  }
}

function renderAreas(areas) {
  const locked = waiting || Boolean(checkout.reservation);
  showAreas(document.getElementById("areas"), areas, { event, prices: priceTable(event.prices, event.currency), locked, hold: holdArea });
  document.getElementById("areas-box").hidden = !Object.keys(areas).length;
}

function onLive(status) {
  liveDot.dataset.live = String(status === "live");
  liveDot.textContent = { live: "live", reconnecting: "reconnecting…", closed: "not live" }[status];
  if (status === "closed") {
    // The stream was refused: say why, from the same check the availability makes.
    request(`/v1/events/${encodeURIComponent(eventId)}/availability`).catch((error) => say(error.message, "error"));
  }
}

function heldByMe(reservation) {
  map?.hold(reservation.seats);
  renderAreas(availability?.areas || {});
  basket.replaceChildren(el("p", { class: "muted" }, "Pay below before the countdown ends."));
}

async function lineUp() {
  // A sale behind a waiting room: a place in line first, holds once admitted.
  if (!(await waitingRoom(eventId))) return;
  waiting = true;
  const box = document.getElementById("queue");
  box.hidden = false;
  const line = new QueuePanel({
    eventId, box, say,
    onAdmitted: (token) => {
      checkout.admission = token;
      waiting = false;
      renderBasket(map.selected());
      renderAreas(availability?.areas || {});
    },
  });
  if (!session() || !(await line.resume())) line.offer();
}

async function start() {
  renderHeader();
  if (!eventId) return say("No event given.", "error");
  try {
    event = await request(`/v1/events/${encodeURIComponent(eventId)}`);
  } catch (error) {
    return say(error.message, "error");
  }
  document.title = `${event.title} · Ticketing`;
  document.getElementById("event-head").replaceChildren(
    el("h1", {}, event.title),
    el("p", { class: "muted" }, `${when(event.starts_at)} · ${event.venue.name}, ${event.venue.city}`),
    event.description ? el("p", {}, event.description) : "",
  );
  const prices = priceTable(event.prices, event.currency);
  checkout = new Checkout({
    eventId, panel: document.getElementById("checkout"), say, onHeld: heldByMe,
    onEnded: () => { map?.hold([]); renderBasket([]); renderAreas(availability?.areas || {}); },
  });
  map = new SeatMap(document.getElementById("seatmap"), {
    priceOf: (section) => prices[section]?.text || "",
    limit: event.max_tickets_per_customer,
    onChange: renderBasket,
    announce: (text) => { announce.textContent = text; },
  });
  await lineUp();
  renderBasket([]);
  // A reload keeps the hold and its countdown; a waiting-list offer's link opens its hold.
  const offered = new URLSearchParams(location.search).get("reservation");
  if (offered && needSignIn()) return;
  if (session()) await checkout.restore(offered);
  openLive(eventId, {
    onState: (state) => {
      availability = state.availability;
      document.getElementById("seated").hidden = !state.sections.length;
      map.render(state.sections);
      renderAreas(state.availability.areas);
    },
    onChange: (change) => { availability = change.availability; map.applyRows(change.rows); renderAreas(change.availability.areas); },
    onStatus: onLive,
  });
}

start();
