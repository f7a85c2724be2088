// Moving around the seat map with the keyboard: the arrow keys go to the next seat in
// the row or the nearest seat of the row above or below (across sections), Home and
// End to the row's ends.

export function neighbour(sections, pos, key) {
  // sections[s][r][i] are seat elements; pos is "s,r,i". The seat to focus, null at an
  // edge, undefined when the key is not a move.
  const [s, r, i] = pos.split(",").map(Number);
  const rows = sections.flat(); // every row, top to bottom
  const at = sections.slice(0, s).reduce((n, section) => n + section.length, 0) + r;
  const row = rows[at];
  const nearest = (other) => (other ? other[Math.min(i, other.length - 1)] : null);
  switch (key) {
    case "ArrowRight": return row[i + 1] ?? null;
    case "ArrowLeft": return row[i - 1] ?? null;
    case "ArrowDown": return nearest(rows[at + 1]);
    case "ArrowUp": return nearest(rows[at - 1]);
    case "Home": return row[0];
    case "End": return row.at(-1);
    default: return undefined;
  }
}
