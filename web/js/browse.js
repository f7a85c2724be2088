// Browse and search the published events: filters in the URL, cursor pagination.
import { CATEGORIES, query, request, when } from "./api.js";
import { el, notice, renderHeader } from "./layout.js";

const PAGE = 12;

const form = document.getElementById("filters");
const list = document.getElementById("events");
const more = document.getElementById("more");
const summary = document.getElementById("summary");
let cursor = null;

function filters() {
  // The form's filters as API parameters, in local time: from the start of the first day
  // to the end of the last (the API's `to` is exclusive: the start of the day after).
  const values = Object.fromEntries(new FormData(form).entries());
  const day = (value, after = 0) => {
    if (!value) return "";
    const start = new Date(`${value}T00:00:00`);
    start.setDate(start.getDate() + after);
    return start.toISOString();
  };
  return { q: values.q, category: values.category, city: values.city, from: day(values.from), to: day(values.to, 1) };
}

function card(event) {
  return el("li", { class: "card" },
    el("h3", {}, el("a", { href: `/web/event.html?id=${encodeURIComponent(event.id)}` }, event.title)),
    el("div", { class: "muted" }, `${when(event.starts_at)} · ${event.venue.name}, ${event.venue.city}`),
    el("div", {}, el("span", { class: `badge ${event.status}` }, event.status.replace("_", " ")), " ",
      el("span", { class: "muted" }, event.category)),
  );
}

async function load(reset) {
  if (reset) {
    cursor = null;
    list.replaceChildren();
  }
  more.disabled = true;
  try {
    const page = await request(`/v1/events${query({ ...filters(), limit: PAGE, cursor })}`);
    list.append(...page.items.map(card));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const shown = list.children.length;
    summary.textContent = shown ? `${shown} event${shown > 1 ? "s" : ""}${cursor ? " so far" : ""}` : "No events match.";
  } catch (error) {
    notice(document.getElementById("main"), error.message, "error");
  } finally {
    more.disabled = false;
  }
}

function restore() {
  // The URL keeps the filters, so a search can be shared and Back returns to it.
  const params = new URLSearchParams(location.search);
  for (const name of ["q", "category", "city", "from", "to"]) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
}

renderHeader();
form.elements.category.append(...CATEGORIES.map((c) => el("option", { value: c }, c)));
restore();
form.addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const kept = Object.fromEntries(new FormData(form).entries());
  history.replaceState(null, "", `${location.pathname}${query(kept)}`);
  load(true);
});
more.addEventListener("click", () => load(false));
load(true);
