// A small SVG renderer for the flowcharts of architectures/: mermaid's parsed graph, laid out by
// dagre (the layout mermaid itself uses, from its dependency dagre-d3-es), drawn as plain SVG.
// mermaid's own renderer needs a browser to measure text; here a label's width is estimated from
// its characters, so the output is deterministic and needs no browser.
import { layout } from "dagre-d3-es/src/dagre/index.js";
import { Graph } from "dagre-d3-es/src/graphlib/index.js";
import type { Flowchart, Vertex } from "./mermaid.js";

const FONT = 13;
const LINE = 17;
const CHAR = 7.1; // average advance of a 13px sans-serif character
const PAD_X = 14;
const PAD_Y = 9;

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** A label's lines: mermaid's <br/> breaks, entities and markdown quotes undone. */
const linesOf = (text: string): string[] =>
  text
    .split(/<br\s*\/?>/i)
    .map((l) => l.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;|&#quot;/g, '"').replace(/#quot;/g, '"').trim());

function size(text: string): { width: number; height: number } {
  const lines = linesOf(text);
  return { width: Math.max(...lines.map((l) => l.length)) * CHAR + 2 * PAD_X, height: lines.length * LINE + 2 * PAD_Y };
}

function textBlock(text: string, x: number, y: number, dy = 0): string {
  const lines = linesOf(text);
  const top = y + dy - ((lines.length - 1) * LINE) / 2;
  return lines.map((l, i) => `<text x="${r(x)}" y="${r(top + i * LINE)}" dominant-baseline="central" text-anchor="middle">${esc(l)}</text>`).join("");
}

const r = (n: number): string => String(Math.round(n * 10) / 10);

function shape(v: Vertex, x: number, y: number, w: number, h: number): string {
  const [x0, y0] = [x - w / 2, y - h / 2];
  switch (v.shape) {
    case "diamond":
      return `<polygon class="q" points="${r(x)},${r(y0)} ${r(x0 + w)},${r(y)} ${r(x)},${r(y0 + h)} ${r(x0)},${r(y)}"/>`;
    case "cylinder": {
      const e = 7;
      return `<path class="n" d="M${r(x0)},${r(y0 + e)} a${r(w / 2)},${e} 0 0,0 ${r(w)},0 a${r(w / 2)},${e} 0 0,0 ${r(-w)},0 v${r(h - 2 * e)} a${r(w / 2)},${e} 0 0,0 ${r(w)},0 v${r(-(h - 2 * e))}"/>`;
    }
    case "stadium":
      return `<rect class="leaf" x="${r(x0)}" y="${r(y0)}" width="${r(w)}" height="${r(h)}" rx="${r(h / 2)}"/>`;
    case "round":
      return `<rect class="n" x="${r(x0)}" y="${r(y0)}" width="${r(w)}" height="${r(h)}" rx="8"/>`;
    default:
      return `<rect class="n" x="${r(x0)}" y="${r(y0)}" width="${r(w)}" height="${r(h)}"/>`;
  }
}

/** The SVG of a flowchart. */
export function flowchartSvg(chart: Flowchart, title: string): string {
  const g = new Graph({ multigraph: true, compound: true });
  g.setGraph({ rankdir: chart.direction === "TD" ? "TB" : chart.direction, nodesep: 30, ranksep: 45, edgesep: 15, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const v of chart.vertices) {
    const s = size(v.text);
    // A diamond holds its text in its middle half.
    // A diamond holds its text in its middle half; a cylinder's text sits below its top ellipse.
    g.setNode(v.id, v.shape === "diamond" ? { width: s.width * 1.5, height: s.height * 1.6 } : v.shape === "cylinder" ? { width: s.width, height: s.height + 14 } : s);
  }
  const subgraphIds = new Set(chart.subgraphs.map((sg) => sg.id));
  for (const sg of chart.subgraphs) g.setNode(sg.id, { label: sg.title, paddingTop: 28 });
  for (const sg of chart.subgraphs) for (const n of sg.nodes) if (g.hasNode(n)) g.setParent(n, sg.id);
  for (const e of chart.edges) {
    // dagre lays out edges between nodes only; mermaid's edges to a whole subgraph are not drawn here.
    if (subgraphIds.has(e.from) || subgraphIds.has(e.to)) throw new Error(`edge ${e.from} --> ${e.to} links a subgraph: link a node inside it`);
  }
  chart.edges.forEach((e, i) => {
    const s = e.label ? size(e.label) : { width: 0, height: 0 };
    g.setEdge(e.from, e.to, { width: s.width, height: e.label ? LINE + 4 : 0, labelpos: "c" }, `e${i}`);
  });
  layout(g, {});
  const { width, height } = g.graph() as { width: number; height: number };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}" role="img" aria-label="${esc(title)}">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(
    "<style>text{font:" + FONT + "px sans-serif;fill:#1f2328}.n{fill:#eef3fb;stroke:#4a6fa5}.q{fill:#fff8e1;stroke:#b08800}.leaf{fill:#e6f4ea;stroke:#2e7d32}" +
      ".sg{fill:#f6f8fa;stroke:#8c959f;stroke-dasharray:4 3}.e{fill:none;stroke:#57606a;stroke-width:1.4}.dot{stroke-dasharray:3 3}.thick{stroke-width:2.6}.lb{fill:#fff}.t{font-weight:bold}</style>",
  );
  out.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#57606a"/></marker>` +
      `<marker id="arrow-back" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M10,0L0,5L10,10z" fill="#57606a"/></marker></defs>`);
  // Outer subgraphs first, so an inner one is drawn on top of its parent.
  const depth = (id: string): number => {
    const parent = g.parent(id);
    return typeof parent === "string" ? 1 + depth(parent) : 0;
  };
  for (const sg of [...chart.subgraphs].sort((a, b) => depth(a.id) - depth(b.id))) {
    const n = g.node(sg.id) as { x: number; y: number; width: number; height: number };
    const w = Math.max(n.width, linesOf(sg.title).join(" ").length * CHAR * 1.1 + 20); // room for the bold title
    out.push(`<rect class="sg" x="${r(n.x - w / 2)}" y="${r(n.y - n.height / 2)}" width="${r(w)}" height="${r(n.height)}" rx="4"/>`);
    out.push(`<text class="t" x="${r(n.x)}" y="${r(n.y - n.height / 2 + 14)}" dominant-baseline="central" text-anchor="middle">${esc(linesOf(sg.title).join(" "))}</text>`);
  }
  chart.edges.forEach((e, i) => {
    const edge = g.edge({ v: e.from, w: e.to, name: `e${i}` }) as { points: Array<{ x: number; y: number }>; x?: number; y?: number; width: number };
    const start = e.type.startsWith("double") ? ' marker-start="url(#arrow-back)"' : "";
    out.push(`<path class="e${e.stroke === "dotted" ? " dot" : e.stroke === "thick" ? " thick" : ""}"${start} marker-end="url(#arrow)" d="M${edge.points.map((p) => `${r(p.x)},${r(p.y)}`).join("L")}"/>`);
    if (e.label && edge.x !== undefined && edge.y !== undefined) {
      const s = size(e.label);
      out.push(`<rect class="lb" x="${r(edge.x - s.width / 2 + PAD_X / 2)}" y="${r(edge.y - s.height / 2 + PAD_Y / 2)}" width="${r(s.width - PAD_X)}" height="${r(s.height - PAD_Y)}"/>`);
      out.push(textBlock(e.label, edge.x, edge.y));
    }
  });
  for (const v of chart.vertices) {
    const n = g.node(v.id) as { x: number; y: number; width: number; height: number };
    out.push(`<g>${shape(v, n.x, n.y, n.width, n.height)}${textBlock(v.text, n.x, n.y, v.shape === "cylinder" ? 5 : 0)}</g>`);
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
