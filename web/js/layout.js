// What every page shares: building DOM safely, the site header, sign-in guards, notices.
import { hasRole, session, signOut } from "./api.js";

export function el(tag, attrs = {}, ...children) {
  // Text goes in as text nodes: nothing from the API is ever parsed as HTML.
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

export function renderHeader() {
  const user = session()?.user;
  const links = [el("a", { href: "/web/" }, "Events")];
  if (user) links.push(el("a", { href: "/web/tickets.html" }, "My tickets"));
  if (hasRole("event_creator", "admin")) links.push(el("a", { href: "/web/organiser.html" }, "Organiser"));
  if (hasRole("admin")) links.push(el("a", { href: "/web/admin.html" }, "Admin"));
  const account = user
    ? el("span", { class: "account" }, el("span", { class: "who" }, user.name),
        el("button", { type: "button", class: "link", onclick: () => { signOut(); location.href = "/web/"; } }, "Sign out"))
    : el("a", { href: loginUrl() }, "Sign in");
  const header = document.getElementById("site");
  header.replaceChildren(
    el("a", { href: "/web/", class: "brand" }, "Ticketing"),
    el("nav", { "aria-label": "Main" }, ...links),
    account,
  );
  const here = location.pathname;
  for (const link of header.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === here) link.setAttribute("aria-current", "page");
  }
}

export function loginUrl() {
  return `/web/login.html?next=${encodeURIComponent(location.pathname + location.search)}`;
}

export function requireSignIn(...roles) {
  // Sends the visitor to the sign-in page (and back) unless signed in with a role.
  if (!session()) {
    location.replace(loginUrl());
    return false;
  }
  if (roles.length && !hasRole(...roles)) {
    notice(document.querySelector("main"), `This page needs one of the roles: ${roles.join(", ")}.`, "error");
    return false;
  }
  return true;
}

export function notice(where, text, kind = "info") {
  // A message in the page's status region (announced by screen readers).
  let box = where.querySelector(":scope > .notice");
  if (!box) {
    box = el("p", { class: "notice", role: kind === "error" ? "alert" : "status" });
    where.prepend(box);
  }
  box.className = `notice ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = text;
  box.hidden = !text;
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}
