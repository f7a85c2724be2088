// A hold and its payment: reserve, count down to expires_at, pay by card, wait for the
// outcome (the payments worker charges Stripe and confirms the seats), then the tickets.
import { money, request } from "./api.js";
import { mountCard, paymentMethod } from "./stripe.js";

const POLL_MS = 500;
const PAYMENT_WAIT_MS = 60_000;

function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class Checkout {
  constructor({ eventId, panel, onHeld, onEnded, say }) {
    this.eventId = eventId;
    this.panel = panel; // the #checkout element
    this.onHeld = onHeld; // (reservation) -> the page marks the seats as the buyer's
    this.onEnded = onEnded; // (reason) -> the page forgets the hold
    this.say = say; // (text, kind) -> a notice
    this.reservation = null;
    this.timer = null;
    this.card = null;
    this.admission = null; // the waiting room's admission token, when the sale has one
    panel.querySelector("#pay-form").addEventListener("submit", (submitted) => {
      submitted.preventDefault();
      this.pay();
    });
    panel.querySelector("#release").addEventListener("click", () => this.release());
  }

  async hold(body) {
    // The Idempotency-Key makes a retried click (or a flaky network) one hold, not two.
    const reservation = await request("/v1/tickets/reserve", {
      method: "POST",
      body: { event_id: this.eventId, ...body },
      headers: {
        "Idempotency-Key": crypto.randomUUID(),
        ...(this.admission ? { "X-Admission-Token": this.admission } : {}),
      },
    });
    await this.show(reservation);
    return reservation;
  }

  get saved() {
    // Where the hold is remembered, so a reload of the page keeps the checkout.
    return `ticketing.hold.${this.eventId}`;
  }

  async restore(offered = null) {
    // The hold this tab took before a reload, or the one a waiting-list offer made in the
    // buyer's name (its email links here with ?reservation=), if the API still has it held.
    const saved = JSON.parse(sessionStorage.getItem(this.saved) || "null");
    const id = offered || saved?.reservation_id;
    if (!id) return;
    try {
      const current = await request(`/v1/reservations/${encodeURIComponent(id)}`);
      if (current.event_id !== this.eventId) throw new Error("another event's hold");
      if (current.status !== "held") throw new Error(current.status);
      await this.show({ ...(id === saved?.reservation_id ? saved : {}), ...current });
    } catch (failed) {
      sessionStorage.removeItem(this.saved);
      if (offered) this.say(`This offer can no longer be paid (${failed.message}).`, "error");
    }
  }

  async show(reservation) {
    this.reservation = reservation;
    sessionStorage.setItem(this.saved, JSON.stringify(reservation));
    const what = reservation.seats.length ? `Seats ${reservation.seats.join(", ")}` : `${reservation.quantity} × ${reservation.area}`;
    this.panel.querySelector("#hold-summary").textContent = `${what} · ${money(reservation.total.amount, reservation.total.currency)}`;
    this.panel.hidden = false;
    this.tick();
    if (!this.reservation) return; // it had just expired
    this.timer = setInterval(() => this.tick(), 1000);
    this.onHeld(reservation);
    this.card ??= await mountCard(this.panel.querySelector("#card-element")).catch((error) => {
      this.say(error.message, "error");
      return null;
    });
  }

  tick() {
    const left = (new Date(this.reservation.expires_at) - Date.now()) / 1000;
    const shown = this.panel.querySelector("#countdown");
    shown.textContent = clock(left);
    shown.classList.toggle("low", left < 60);
    if (left <= 0) this.end("Your hold expired: the seats are back on sale.");
  }

  end(reason, kind = "info") {
    clearInterval(this.timer);
    this.timer = null;
    this.reservation = null;
    sessionStorage.removeItem(this.saved);
    this.panel.hidden = true;
    this.onEnded(reason);
    if (reason) this.say(reason, kind);
  }

  async release() {
    const { reservation_id: id } = this.reservation;
    try {
      await request(`/v1/reservations/${encodeURIComponent(id)}`, { method: "DELETE" });
      this.end("Hold released.");
    } catch (error) {
      this.say(error.message, "error");
    }
  }

  async pay() {
    const button = this.panel.querySelector("#pay");
    if (!this.card) return this.say("The card form is not ready.", "error");
    button.disabled = true;
    try {
      this.say("Paying…");
      const method = await paymentMethod(this.card);
      const started = await request("/v1/payments/process", {
        method: "POST",
        body: { reservation_id: this.reservation.reservation_id, payment_method: method },
      });
      const payment = await this.outcome(started.payment_id);
      if (payment.status === "succeeded") {
        clearInterval(this.timer);
        sessionStorage.removeItem(this.saved);
        location.assign(`/web/tickets.html?order=${encodeURIComponent(payment.payment_id)}`);
      } else {
        this.end(`Payment failed (${payment.failure_reason || payment.status}): the seats were released.`, "error");
      }
    } catch (error) {
      this.say(error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  async outcome(paymentId) {
    // The charge happens in the payments worker: poll until it has an outcome.
    const deadline = Date.now() + PAYMENT_WAIT_MS;
    while (Date.now() < deadline) {
      const payment = await request(`/v1/payments/${encodeURIComponent(paymentId)}`);
      if (payment.status !== "processing") return payment;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error("The payment is taking long: your tickets will appear under My tickets.");
  }
}
