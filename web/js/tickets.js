// The buyer's tickets, each with its QR code drawn here from the signed payload (the
// door scanner verifies the signature offline with GET /v1/tickets/public-key).
import { renderSVG } from "../vendor/uqr-0.1.3.mjs";
import { query, request } from "./api.js";
import { el, notice, renderHeader, requireSignIn } from "./layout.js";

const main = document.getElementById("main");
const list = document.getElementById("tickets");
const more = document.getElementById("more");
const order = new URLSearchParams(location.search).get("order");
let cursor = null;

function qr(payload, label) {
  const box = el("div", { class: "qr", role: "img", "aria-label": label });
  // renderSVG builds the markup from the QR matrix alone: no payload text is in it.
  box.innerHTML = renderSVG(payload, { ecc: "M", border: 2 });
  return box;
}

function card(ticket) {
  const where = ticket.seat ? `Seat ${ticket.seat}` : `Standing: ${ticket.area}`;
  return el("li", { class: "card ticket", dataset: { ticket: ticket.ticket_id, order: ticket.order_id } },
    el("h2", {}, ticket.event_title || "Event"),
    el("div", {}, where, " ", el("span", { class: "badge" }, ticket.status.replace("_", " "))),
    qr(ticket.qr, `QR code of ticket ${ticket.ticket_id}, ${where}`),
    el("div", { class: "muted" }, `Ticket ${ticket.ticket_id}`),
  );
}

async function load() {
  more.disabled = true;
  try {
    const page = await request(`/v1/tickets${query({ limit: 50, cursor })}`);
    list.append(...page.items.map(card));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    if (!list.children.length) notice(main, "No tickets yet.");
  } catch (error) {
    notice(main, error.message, "error");
  } finally {
    more.disabled = false;
  }
}

renderHeader();
if (requireSignIn()) {
  if (order) notice(main, "Payment received: here are your tickets.", "ok");
  more.addEventListener("click", load);
  load();
}
