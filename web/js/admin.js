// Administration: accounts and their roles, and where the inventory actors run.
import { query, request } from "./api.js";
import { el, notice, renderHeader, requireSignIn } from "./layout.js";

const ROLES = ["user", "event_creator", "admin"];
const main = document.getElementById("main");
const users = document.querySelector("#users tbody");
const moreUsers = document.getElementById("more-users");
const morePlacement = document.getElementById("more-placement");
let usersCursor = null;
let placementCursor = null;

function userRow(user) {
  const boxes = ROLES.map((role) => el("label", { class: "row", style: "display:inline-flex;margin-right:.6rem" },
    el("input", { type: "checkbox", value: role, checked: user.roles.includes(role) }), role));
  const save = el("button", { type: "button", class: "secondary", onclick: async () => {
    const roles = boxes.map((box) => box.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    try {
      await request(`/v1/admin/users/${encodeURIComponent(user.id)}/roles`, { method: "PATCH", body: { roles } });
      notice(main, `Roles of ${user.email}: ${roles.join(", ")} (from their next sign-in).`, "ok");
    } catch (error) {
      notice(main, error.message, "error");
    }
  } }, "Save");
  return el("tr", { dataset: { user: user.id } }, el("td", {}, user.name), el("td", {}, user.email),
    el("td", { role: "group", "aria-label": `Roles of ${user.email}` }, ...boxes), el("td", {}, save));
}

async function loadUsers() {
  const page = await request(`/v1/admin/users${query({ limit: 50, cursor: usersCursor })}`);
  users.append(...page.items.map(userRow));
  usersCursor = page.next_cursor;
  moreUsers.hidden = !usersCursor;
}

function table(head, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))));
}

const short = (id) => (id ? `${id.slice(0, 10)}…` : "–");

async function loadPlacement(reset) {
  if (reset) placementCursor = null;
  const page = await request(`/v1/admin/placement${query({ limit: 20, cursor: placementCursor })}`);
  document.getElementById("nodes").replaceChildren(table(["Node", "Address", "Role", "State", "Actors listed"],
    page.nodes.map((n) => [short(n.node_id), n.address, n.role || "–", n.alive ? "alive" : "dead", n.actors])));
  const rows = page.events.flatMap((event) => event.error
    ? [[event.title, "–", "–", `not answering: ${event.error}`, "–"]]
    : event.actors.map((a) => [event.title, a.stream.includes("#") ? a.stream.split("#")[1] : a.kind,
        short(a.node_id), a.draining ? "draining" : a.ready ? "ready" : "recovering", `${a.durable_seq}/${a.seq}`]));
  const placement = document.getElementById("placement");
  const built = table(["Event", "Actor (shard or kind)", "Node", "State", "Durable/seq"], rows);
  if (reset) placement.replaceChildren(built);
  else placement.append(built);
  placementCursor = page.next_cursor;
  morePlacement.hidden = !placementCursor;
}

async function start() {
  renderHeader();
  if (!requireSignIn("admin")) return;
  moreUsers.addEventListener("click", () => loadUsers().catch((e) => notice(main, e.message, "error")));
  morePlacement.addEventListener("click", () => loadPlacement(false).catch((e) => notice(main, e.message, "error")));
  document.getElementById("refresh-placement").addEventListener("click", () => loadPlacement(true).catch((e) => notice(main, e.message, "error")));
  try {
    await Promise.all([loadUsers(), loadPlacement(true)]);
  } catch (error) {
    notice(main, error.message, "error");
  }
}

start();
