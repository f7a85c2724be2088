// The SVG seat map: sections of rows of seats, coloured by state, picked by mouse or
// keyboard. Each seat is an ARIA checkbox; one seat at a time is in the tab order
// (roving tabindex) and the arrow keys move between seats, Space or Enter picks one.
import { neighbour } from "./seat-keys.js";

const SVG = "http://www.w3.org/2000/svg";
const SEAT = 22; // big enough a target for a finger
const GAP = 5;
const LABEL = 30; // room for the row labels on the left
const SECTION_GAP = 16;
const STATE_NAMES = { A: "available", H: "held", S: "sold" };

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

export class SeatMap {
  constructor(container, { priceOf, limit, onChange, announce }) {
    this.container = container;
    this.priceOf = priceOf; // section name -> formatted price (or "")
    this.limit = limit; // most seats one buyer may pick
    this.onChange = onChange; // called with the selected seat ids
    this.announce = announce; // tells screen-reader users (and everyone) what happened
    this.picked = new Set();
    this.mine = new Set(); // seats this buyer holds
    this.seats = []; // [section][row] -> array of seat elements
    this.layout = "";
  }

  render(sections) {
    // The whole map: built once per layout, then only the states change.
    const layout = JSON.stringify(sections.map((s) => [s.name, s.rows.map((r) => [r.label, r.states.length])]));
    if (layout !== this.layout) this.build(sections, layout);
    sections.forEach((section, s) => section.rows.forEach((row, r) => this.applyRow(s, r, row.states)));
  }

  applyRows(rows) {
    for (const [s, r, states] of rows) this.applyRow(s, r, states);
  }

  build(sections, layout) {
    this.layout = layout;
    this.seats = [];
    const widest = Math.max(1, ...sections.flatMap((s) => s.rows.map((r) => r.states.length)));
    const width = LABEL + widest * (SEAT + GAP);
    const root = svg("svg", { class: "seatmap", role: "group", "aria-label": "Seat map" });
    let y = 0;
    sections.forEach((section, s) => {
      const group = svg("g", { role: "group", "aria-label": `Section ${section.name}` });
      const title = svg("text", { x: 0, y: y + 14, class: "section-name", "aria-hidden": "true" });
      title.textContent = `Section ${section.name}`;
      group.append(title);
      y += 22;
      this.seats[s] = section.rows.map((row, r) => {
        const label = svg("text", { x: 0, y: y + SEAT - 6, "aria-hidden": "true" });
        label.textContent = row.label;
        group.append(label);
        const seats = [...row.states].map((_, i) => {
          const seat = svg("rect", {
            class: "seat", x: LABEL + i * (SEAT + GAP), y, width: SEAT, height: SEAT, rx: 4,
            role: "checkbox", tabindex: "-1", "aria-checked": "false",
          });
          seat.dataset.seat = `${section.name}-${row.label}-${i + 1}`;
          Object.assign(seat.dataset, { section: section.name, row: row.label, number: i + 1 });
          seat.dataset.pos = `${s},${r},${i}`;
          group.append(seat);
          return seat;
        });
        y += SEAT + GAP;
        return seats;
      });
      root.append(group);
      y += SECTION_GAP - GAP;
    });
    root.setAttribute("viewBox", `0 0 ${width} ${Math.max(y, 1)}`);
    root.setAttribute("width", width);
    root.addEventListener("click", (clicked) => this.toggle(clicked.target));
    root.addEventListener("keydown", (pressed) => this.key(pressed));
    const first = this.seats.flat(2)[0];
    if (first) first.setAttribute("tabindex", "0");
    this.container.replaceChildren(root);
  }

  applyRow(s, r, states) {
    const seats = this.seats[s]?.[r];
    if (!seats) return;
    [...states].forEach((state, i) => {
      const seat = seats[i];
      if (seat.dataset.state === state) return;
      seat.dataset.state = state;
      const id = seat.dataset.seat;
      if (state !== "A" && this.picked.has(id)) {
        // Someone else was faster: the seat leaves this buyer's selection.
        this.picked.delete(id);
        this.announce(`Seat ${id} was just taken by someone else.`);
        this.onChange(this.selected());
      }
      this.describe(seat);
    });
  }

  describe(seat) {
    const { seat: id, section, row, number } = seat.dataset;
    const mine = this.mine.has(id);
    const picked = this.picked.has(id);
    const state = mine ? "held by you" : STATE_NAMES[seat.dataset.state] || "unknown";
    const price = this.priceOf(section);
    seat.classList.toggle("mine", mine);
    seat.setAttribute("aria-checked", String(picked || mine));
    seat.setAttribute("aria-disabled", String(seat.dataset.state !== "A" && !picked));
    seat.setAttribute("aria-label", `Section ${section}, row ${row}, seat ${number}, ${state}${price ? `, ${price}` : ""}`);
  }

  toggle(seat) {
    if (!seat?.dataset?.seat) return;
    this.focus(seat);
    const id = seat.dataset.seat;
    if (this.mine.size) {
      this.announce("You hold seats already: pay for them or release them first.");
    } else if (this.picked.has(id)) {
      this.picked.delete(id);
    } else if (seat.dataset.state !== "A") {
      this.announce(`Seat ${id} is ${STATE_NAMES[seat.dataset.state]}: pick another one.`);
      return;
    } else if (this.picked.size >= this.limit) {
      this.announce(`At most ${this.limit} tickets per buyer.`);
      return;
    } else {
      this.picked.add(id);
    }
    this.describe(seat);
    this.onChange(this.selected());
  }

  key(pressed) {
    const seat = pressed.target;
    if (!seat.dataset?.pos) return;
    if (pressed.key === " " || pressed.key === "Enter") {
      pressed.preventDefault();
      this.toggle(seat);
      return;
    }
    const target = neighbour(this.seats, seat.dataset.pos, pressed.key);
    if (target === undefined) return; // not a key of ours: leave it to the browser
    pressed.preventDefault();
    if (target) this.focus(target);
  }

  focus(seat) {
    for (const other of this.container.querySelectorAll('.seat[tabindex="0"]')) other.setAttribute("tabindex", "-1");
    seat.setAttribute("tabindex", "0");
    seat.focus();
  }

  selected() {
    return [...this.picked];
  }

  hold(ids) {
    // These seats are now this buyer's hold (or, with [], no longer).
    const changed = new Set([...this.mine, ...ids, ...this.picked]);
    this.mine = new Set(ids);
    this.picked.clear();
    for (const seat of this.container.querySelectorAll(".seat")) {
      if (changed.has(seat.dataset.seat)) this.describe(seat);
    }
    this.onChange(this.selected());
  }
}
