// The buyer's tickets, each with its QR code drawn here from the signed payload (the
// door scanner verifies the signature offline with GET /v1/tickets/public-key).
import { renderSVG } from "../vendor/uqr-0.1.3.mjs";
import { query, request } from "./api.js";
import { el, notice, renderHeader, requireSignIn } from "./layout.js";

const main = document.getElementById("main");
const list = document.getElementById("tickets");
const more = document.getElementById("more");
const params = new URLSearchParams(location.search);
const order = params.get("order");
const wanted = params.get("ticket"); // an email's link to one ticket
let cursor = null;
// A void ticket (its order refunded, or its event cancelled) carries no QR code.
const VOID = { refunded: "Refunded: no longer valid", cancelled: "Event cancelled: no longer valid" };

function qr(payload, label) {
  const box = el("div", { class: "qr", role: "img", "aria-label": label });
  // renderSVG builds the markup from the QR matrix alone: no payload text is in it.
  box.innerHTML = renderSVG(payload, { ecc: "M", border: 2 });
  return box;
}

function card(ticket) {
  const where = ticket.seat ? `Seat ${ticket.seat}` : `Standing: ${ticket.area}`;
  const classes = ["card", "ticket"];
  if (ticket.status in VOID) classes.push("void");
  if (ticket.ticket_id === wanted) classes.push("wanted");
  const data = { ticket: ticket.ticket_id, order: ticket.order_id, status: ticket.status };
  return el("li", { class: classes.join(" "), dataset: data },
    el("h2", {}, ticket.event_title || "Event"),
    el("div", {}, where, " ",
      el("span", { class: `badge ${ticket.status}` }, ticket.status.replace("_", " "))),
    ticket.qr
      ? qr(ticket.qr, `QR code of ticket ${ticket.ticket_id}, ${where}`)
      : el("p", { class: "notice error" }, VOID[ticket.status] || "No longer valid"),
    el("div", { class: "muted" }, `Ticket ${ticket.ticket_id}`),
  );
}

async function load() {
  more.disabled = true;
  try {
    const page = await request(`/v1/tickets${query({ limit: 50, cursor })}`);
    list.append(...page.items.map(card));
    list.querySelector("li.wanted")?.scrollIntoView({ block: "center" });
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
