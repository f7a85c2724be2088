// The live stream of an event (GET /v1/events/{id}/stream, server-sent events): a full
// `state` first, then `change`s carrying the rows that changed. EventSource reconnects
// by itself when the server ends a stream (it does every few minutes) or the network
// drops, and each new connection starts with a full state again.

export function openLive(eventId, { onState, onChange, onStatus }) {
  const source = new EventSource(`/v1/events/${encodeURIComponent(eventId)}/stream`);
  source.addEventListener("state", (message) => onState(JSON.parse(message.data)));
  source.addEventListener("change", (message) => onChange(JSON.parse(message.data)));
  source.addEventListener("open", () => onStatus("live"));
  source.addEventListener("error", () => {
    // CLOSED: the server refused the stream (an error status); it will not come back.
    onStatus(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
  });
  return () => source.close();
}
