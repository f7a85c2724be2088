// A small SVG line chart of counts over time (no charting library: a few polylines).
const NS = "http://www.w3.org/2000/svg";
const W = 1000;
const H = 240;
const PAD = 34;

function node(tag, attrs) {
  const made = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) made.setAttribute(name, value);
  return made;
}

export function lineChart(title) {
  const svg = node("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  return svg;
}

export function drawChart(svg, series, { max, span }) {
  // series: [{ name, color, points: [[time ms, value]] }], plotted over the last `span`
  // ms, or since the first point when that is more recent (a fresh page fills the width).
  const now = Date.now();
  const first = Math.min(...series.flatMap((line) => line.points.map(([t]) => t)), now);
  const start = Math.max(now - span, first);
  const width = Math.max(now - start, 1000);
  const x = (t) => PAD + ((t - start) / width) * (W - PAD - 8);
  const y = (v) => H - PAD - (v / Math.max(max, 1)) * (H - 2 * PAD);
  const parts = [
    node("line", { x1: PAD, y1: H - PAD, x2: W - 8, y2: H - PAD, stroke: "#d8dde6" }),
    node("line", { x1: PAD, y1: PAD, x2: PAD, y2: H - PAD, stroke: "#d8dde6" }),
  ];
  const top = node("text", { x: 2, y: PAD + 4, "font-size": 13, fill: "#5b6475" });
  top.textContent = String(max);
  parts.push(top);
  series.forEach((line, i) => {
    const points = line.points.filter(([t]) => t >= start).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    if (points.length) parts.push(node("polyline", { points: points.join(" "), fill: "none", stroke: line.color, "stroke-width": 2 }));
    const key = node("text", { x: PAD + 8 + i * 110, y: 18, "font-size": 14, fill: line.color });
    key.textContent = `${line.name}`;
    parts.push(key);
  });
  svg.replaceChildren(...parts);
}
