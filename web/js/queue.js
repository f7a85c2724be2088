// The waiting room, for a buyer: when the event's sale is behind a queue, a place in
// line comes first (POST /v1/events/{id}/queue), watched live through its stream
// (?token=, since an EventSource sends no headers) until admitted; the admission token
// then goes with every hold (header X-Admission-Token) until it expires.
import { request, when } from "./api.js";
import { el, loginUrl } from "./layout.js";

const DONE = new Set(["admitted", "used", "expired", "sold_out", "closed"]);

export async function waitingRoom(eventId) {
  // The event's room when it is on, else null (no room, or it was turned off).
  try {
    const room = await request(`/v1/events/${encodeURIComponent(eventId)}/waiting-room`, { auth: false });
    return room.enabled && room.status !== "off" ? room : null;
  } catch {
    return null;
  }
}

function minutes(seconds) {
  return seconds < 90 ? `about ${Math.max(1, Math.round(seconds))} s` : `about ${Math.round(seconds / 60)} min`;
}

export class QueuePanel {
  constructor({ eventId, box, onAdmitted, say }) {
    this.eventId = eventId;
    this.box = box; // where the line is shown
    this.onAdmitted = onAdmitted; // (token, expires_at) -> holds may go ahead
    this.say = say;
    this.source = null;
  }

  async resume() {
    // A buyer who joined earlier (another visit) gets their place back: joining again
    // gives the same place, and the token its stream needs.
    let place;
    try {
      place = await request(`/v1/events/${encodeURIComponent(this.eventId)}/queue/me`);
    } catch {
      return false; // no place yet
    }
    if (DONE.has(place.status)) this.show(place);
    else await this.join();
    return true;
  }

  async join() {
    try {
      const place = await request(`/v1/events/${encodeURIComponent(this.eventId)}/queue`, { method: "POST" });
      this.show(place);
      if (!DONE.has(place.status)) this.watch(place.queue_token);
    } catch (error) {
      if (error.status === 401) location.assign(loginUrl()); // a place needs an account
      else this.say(error.message, "error");
    }
  }

  watch(token) {
    this.source?.close();
    const url = `/v1/events/${encodeURIComponent(this.eventId)}/queue/stream?token=${encodeURIComponent(token)}`;
    this.source = new EventSource(url);
    this.source.addEventListener("place", (message) => {
      const place = JSON.parse(message.data);
      this.show(place);
      if (DONE.has(place.status)) this.source.close();
    });
  }

  show(place) {
    const lines = {
      pre_sale: `You are in line. The sale opens ${when(place.opens_at)}: places are drawn then.`,
      queued: `You are number ${place.position} in line (${place.ahead} ahead)` +
        (place.estimated_wait_seconds != null ? `, ${minutes(place.estimated_wait_seconds)} to wait.` : "."),
      admitted: `It is your turn: hold your seats before ${when(place.admission_expires_at)}.`,
      used: "You have been through the line.",
      expired: "Your turn passed without a hold.",
      sold_out: "Sold out: there is nothing left to hold.",
      closed: "The line is closed.",
    };
    const text = `${lines[place.status] || place.status}${place.paused ? " (paused: nothing to hold right now)" : ""}`;
    this.box.replaceChildren(el("p", { id: "queue-place", role: "status" }, text));
    if (place.status === "admitted" && place.admission_token) {
      this.onAdmitted(place.admission_token, place.admission_expires_at);
    }
  }

  offer() {
    // Before joining: what the line is and the button to join it.
    this.box.replaceChildren(
      el("p", {}, "This sale has a waiting room: take your place in line, you will be let in to pick seats."),
      el("button", { type: "button", id: "join-queue", onclick: () => this.join() }, "Join the line"),
    );
  }
}
