// The standing (general admission) areas of an event: places left, kept live, and a
// quantity to hold. Built once per area, then only the counts and the buttons change.
import { el } from "./layout.js";

export function showAreas(list, areas, { event, prices, locked, hold }) {
  for (const [name, counts] of Object.entries(areas)) {
    let item = list.querySelector(`li[data-area="${CSS.escape(name)}"]`);
    if (!item) {
      const quantity = el("input", {
        type: "number", min: 1, max: event.max_tickets_per_customer, value: 1, "aria-label": `Places in ${name}`,
      });
      item = el("li", { class: "card row", dataset: { area: name } },
        el("div", { style: "flex:1" }, el("strong", {}, name), " ", el("span", { class: "muted" }, prices[name]?.text || ""),
          el("div", { class: "remaining", "aria-live": "polite" })),
        quantity,
        el("button", { type: "button", onclick: () => hold(name, quantity.value) }, "Hold"));
      list.append(item);
    }
    const left = counts.available;
    item.querySelector(".remaining").textContent = left ? `${left} left` : "Sold out";
    item.querySelector("button").disabled = !left || locked;
  }
}
