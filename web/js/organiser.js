// The organiser's page: their events (publish a draft, open its live view), and the
// forms that create a venue and an event.
import { CATEGORIES, query, request, when } from "./api.js";
import { showDashboard } from "./dashboard.js";
import { el, formValues, notice, renderHeader, requireSignIn } from "./layout.js";

const main = document.getElementById("main");
const rows = document.querySelector("#my-events tbody");
const moreEvents = document.getElementById("more-events");
const venueForm = document.getElementById("venue-form");
const eventForm = document.getElementById("event-form");
let cursor = null;

function actions(event) {
  const buttons = [];
  if (event.status === "draft") {
    buttons.push(el("button", { type: "button", onclick: () => publish(event) }, "Publish"));
  } else if (event.published_at && event.status !== "cancelled") {
    buttons.push(el("a", { href: `/web/organiser.html?event=${encodeURIComponent(event.id)}` }, "Live view"), " ",
      el("a", { href: `/web/event.html?id=${encodeURIComponent(event.id)}` }, "Buyer page"));
  }
  return el("td", {}, ...buttons);
}

function row(event) {
  return el("tr", { dataset: { event: event.id } },
    el("td", {}, event.title), el("td", {}, when(event.starts_at)),
    el("td", {}, el("span", { class: `badge ${event.status}` }, event.status.replace("_", " "))),
    el("td", {}, event.capacity), actions(event));
}

async function loadEvents(reset) {
  if (reset) {
    cursor = null;
    rows.replaceChildren();
  }
  const page = await request(`/v1/events${query({ mine: "true", limit: 20, cursor })}`);
  rows.append(...page.items.map(row));
  cursor = page.next_cursor;
  moreEvents.hidden = !cursor;
}

async function publish(event) {
  try {
    await request(`/v1/events/${encodeURIComponent(event.id)}/publish`, { method: "POST" });
    notice(main, `${event.title} is published: its inventory is open.`, "ok");
    await loadEvents(true);
  } catch (error) {
    notice(main, error.message, "error");
  }
}

function lines(text, pattern, make) {
  // "A 10x20" lines (or "FLOOR 500") into request objects; a bad line is an error.
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const match = line.match(pattern);
    if (!match) throw new Error(`Cannot read "${line}".`);
    return make(match);
  });
}

async function createVenue(submitted) {
  submitted.preventDefault();
  const values = formValues(venueForm);
  try {
    const sections = lines(values.sections, /^(\S+)\s+(\d+)\s*[x×]\s*(\d+)$/i, ([, name, count, seats]) => ({
      name, rows: Array.from({ length: Number(count) }, (_, i) => ({ label: String(i + 1), seats: Number(seats) })),
    }));
    const areas = lines(values.areas, /^(\S+)\s+(\d+)$/, ([, name, capacity]) => ({ name, capacity: Number(capacity) }));
    const body = { name: values.name, city: values.city, country: values.country.toUpperCase(), sections, areas };
    const venue = await request("/v1/venues", { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } });
    notice(main, `Venue ${venue.name} created (${venue.capacity} places).`, "ok");
    venueForm.reset();
    await loadVenues(venue.id);
  } catch (error) {
    notice(main, error.message, "error");
  }
}

async function loadVenues(selected) {
  const page = await request(`/v1/venues${query({ limit: 100 })}`);
  const select = eventForm.elements.venue_id;
  select.replaceChildren(...page.items.map((v) => el("option", { value: v.id }, `${v.name}, ${v.city} (${v.capacity})`)));
  if (selected) select.value = selected;
  await priceFields();
}

async function priceFields() {
  // One price per section and area of the chosen venue (the API wants each covered once).
  const fieldset = document.getElementById("price-fields");
  const legend = fieldset.querySelector("legend");
  const id = eventForm.elements.venue_id.value;
  if (!id) return fieldset.replaceChildren(legend);
  const venue = await request(`/v1/venues/${encodeURIComponent(id)}`);
  const parts = [...venue.sections.map((s) => ["sections", s.name]), ...venue.areas.map((a) => ["areas", a.name])];
  fieldset.replaceChildren(legend, ...parts.map(([kind, name]) => el("label", {}, `${name} (${kind === "areas" ? "standing" : "seated"})`,
    el("input", { type: "number", min: 0, step: "0.01", value: 50, required: true, dataset: { kind, name } }))));
}

async function createEvent(submitted) {
  submitted.preventDefault();
  const values = formValues(eventForm);
  const prices = [...document.querySelectorAll("#price-fields input")].map((input) => ({
    name: input.dataset.name, amount: Math.round(Number(input.value) * 100),
    sections: input.dataset.kind === "sections" ? [input.dataset.name] : [],
    areas: input.dataset.kind === "areas" ? [input.dataset.name] : [],
  }));
  const body = {
    title: values.title, description: values.description, category: values.category, venue_id: values.venue_id,
    starts_at: new Date(values.starts_at).toISOString(), sale_starts_at: new Date(values.sale_starts_at).toISOString(),
    currency: values.currency.toUpperCase(), prices,
    max_tickets_per_customer: Number(values.max_tickets_per_customer), hold_ttl_seconds: Number(values.hold_ttl_seconds),
  };
  try {
    const event = await request("/v1/events", { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } });
    notice(main, `Draft "${event.title}" created: publish it to open the sale.`, "ok");
    await loadEvents(true);
  } catch (error) {
    notice(main, error.message, "error");
  }
}

function localInput(date) {
  // A datetime-local value (local time, minutes).
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

async function start() {
  renderHeader();
  if (!requireSignIn("event_creator", "admin")) return;
  eventForm.elements.category.append(...CATEGORIES.map((c) => el("option", { value: c }, c)));
  eventForm.elements.sale_starts_at.value = localInput(new Date());
  eventForm.elements.starts_at.value = localInput(new Date(Date.now() + 30 * 86_400_000));
  eventForm.elements.venue_id.addEventListener("change", () => priceFields().catch(() => {}));
  venueForm.addEventListener("submit", createVenue);
  eventForm.addEventListener("submit", createEvent);
  moreEvents.addEventListener("click", () => loadEvents(false));
  const live = new URLSearchParams(location.search).get("event");
  try {
    if (live) await showDashboard(live, document.getElementById("live-view"));
    await Promise.all([loadEvents(true), loadVenues()]);
  } catch (error) {
    notice(main, error.message, "error");
  }
}

start();
