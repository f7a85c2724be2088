// The waiting room's line, for the organiser's dashboard: GET /v1/events/{id}/waiting-room
// (its settings and live counts). null when the event has no waiting room turned on.
import { request } from "./api.js";

export async function queueLength(eventId) {
  try {
    const room = await request(`/v1/events/${encodeURIComponent(eventId)}/waiting-room`);
    return room.enabled ? room.waiting : null;
  } catch {
    return null; // not answering: shown as off rather than as a stale number
  }
}
