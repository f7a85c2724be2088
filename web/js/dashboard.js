// The live view of one on-sale: sold, held and available over time (from the event's
// stream), sales per minute, revenue at face value, and the waiting room's line.
import { money, request } from "./api.js";
import { drawChart, lineChart } from "./chart.js";
import { el } from "./layout.js";
import { openLive } from "./live.js";
import { queueLength } from "./waiting-room.js";

const SPAN_MS = 5 * 60_000; // the chart shows the last five minutes
const RATE_WINDOW_MS = 60_000;
const QUEUE_POLL_MS = 5000;

function counter(name, key) {
  return el("div", { class: "counter" }, el("div", { class: "name", id: `${key}-name` }, name),
    el("div", { class: "value", id: `count-${key}` }, "–"));
}

function faceValue(event, availability) {
  // Seats and places sold times their price: refunds put seats back, so they drop out.
  const price = {};
  for (const tier of event.prices) for (const name of [...tier.sections, ...tier.areas]) price[name] = tier.amount;
  const parts = [...Object.entries(availability.sections), ...Object.entries(availability.areas)];
  return parts.reduce((sum, [name, counts]) => sum + counts.sold * (price[name] || 0), 0);
}

export function salesPerMinute(samples, now) {
  // Sold now minus sold a minute ago (or since the first sample), per minute.
  const recent = samples.filter((s) => s.t >= now - RATE_WINDOW_MS);
  if (recent.length < 2) return 0;
  const first = recent[0];
  const last = recent.at(-1);
  const minutes = Math.max((last.t - first.t) / 60_000, 1 / 60);
  return Math.max(0, (last.sold - first.sold) / minutes);
}

export async function showDashboard(eventId, section) {
  const event = await request(`/v1/events/${encodeURIComponent(eventId)}`);
  const chart = lineChart(`Sold, held and available seats of ${event.title} over the last five minutes`);
  const parts = el("tbody");
  const status = el("span", { class: "live-dot", "data-live": "false", role: "status" }, "connecting");
  section.replaceChildren(
    el("div", { class: "row", style: "justify-content:space-between" }, el("h2", { id: "live-title" }, `Live: ${event.title}`), status),
    el("div", { class: "counters", id: "counters" },
      counter("Available", "available"), counter("Held", "held"), counter("Sold", "sold"),
      counter("Revenue", "revenue"), counter("Sales / min", "rate"), counter("Waiting room", "queue")),
    el("h3", {}, "Over time"), chart,
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "Part"), el("th", {}, "Capacity"), el("th", {}, "Available"), el("th", {}, "Held"), el("th", {}, "Sold"))),
      parts)),
  );
  section.hidden = false;
  const samples = [];
  let latest = null;

  function show(availability) {
    latest = availability;
    samples.push({ t: Date.now(), ...availability });
    const now = Date.now();
    while (samples.length && samples[0].t < now - SPAN_MS) samples.shift();
    for (const key of ["available", "held", "sold"]) document.getElementById(`count-${key}`).textContent = availability[key];
    document.getElementById("count-revenue").textContent = money(faceValue(event, availability), event.currency);
    document.getElementById("count-rate").textContent = salesPerMinute(samples, now).toFixed(1);
    const series = (key, name, color) => ({ name, color, points: samples.map((s) => [s.t, s[key]]) });
    drawChart(chart, [series("sold", "sold", "#4338ca"), series("held", "held", "#f59e0b"), series("available", "available", "#22c55e")],
      { max: availability.capacity, span: SPAN_MS });
    const all = [...Object.entries(availability.sections), ...Object.entries(availability.areas)];
    parts.replaceChildren(...all.map(([name, c]) => el("tr", {}, el("td", {}, name), el("td", {}, c.capacity),
      el("td", {}, c.available), el("td", {}, c.held), el("td", {}, c.sold))));
  }

  openLive(eventId, {
    onState: (state) => show(state.availability),
    onChange: (change) => show(change.availability),
    onStatus: (state) => {
      status.dataset.live = String(state === "live");
      status.textContent = state === "live" ? "live" : state;
    },
  });
  // The stream speaks only when something changes: sample once a second so the chart
  // and the rate keep moving through quiet moments.
  setInterval(() => latest && show(latest), 1000);
  const queue = async () => {
    const waiting = await queueLength(eventId);
    document.getElementById("count-queue").textContent = waiting === null ? "off" : String(waiting);
  };
  queue();
  setInterval(queue, QUEUE_POLL_MS);
}
