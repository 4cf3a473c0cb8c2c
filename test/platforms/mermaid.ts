// Mermaid's own parser in Node, without a browser. mermaid sanitizes every label with DOMPurify,
// which needs a DOM; without one DOMPurify is an inert stub (no sanitize, no addHook). The
// diagrams are our own text, so the shim makes sanitizing the identity: the grammar (jison's
// flowchart parser, the same mermaid.js GitHub and JupyterLab run) still parses every token.
import { readFileSync } from "node:fs";
import DOMPurify from "dompurify";

type Purify = { addHook?: unknown; sanitize?: unknown };
const purify = DOMPurify as unknown as Purify;
if (typeof purify.sanitize !== "function") {
  purify.addHook = () => {};
  purify.sanitize = (s: string) => s;
}
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

export interface Vertex { id: string; text: string; shape: string }
export interface Edge { from: string; to: string; label: string; /** mermaid's edge type, e.g. arrow_point, double_arrow_point */ type: string; /** normal, thick or dotted */ stroke: string }
export interface Subgraph { id: string; title: string; nodes: string[] }
export interface Flowchart { direction: string; vertices: Vertex[]; edges: Edge[]; subgraphs: Subgraph[] }

export interface Block { file: string; index: number; line: number; text: string }

/** Every ```mermaid block of a Markdown file, with the line it starts on. */
export function mermaidBlocks(file: string): Block[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```mermaid") continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1].trim() !== "```") i++;
    blocks.push({ file, index: blocks.length, line: start + 1, text: lines.slice(start, i + 1).join("\n") });
    i++;
  }
  return blocks;
}

/** Parses with mermaid; throws mermaid's parse error. Returns the diagram type. */
export async function parseDiagram(text: string): Promise<string> {
  const r = await mermaid.parse(text);
  if (!r) throw new Error("mermaid could not parse the diagram");
  return r.diagramType;
}

type FlowDb = {
  getVertices(): Map<string, { id: string; text?: string; type?: string }>;
  getEdges(): Array<{ start: string; end: string; text?: string; type?: string; stroke?: string }>;
  getSubGraphs(): Array<{ id: string; title: string; nodes: string[] }>;
  getDirection(): string;
};

/** The graph of a flowchart, as mermaid's parser built it. */
export async function flowchart(text: string): Promise<Flowchart> {
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db as unknown as FlowDb;
  if (typeof db.getVertices !== "function") throw new Error(`not a flowchart: ${diagram.type}`);
  return {
    direction: db.getDirection() ?? "TB",
    vertices: [...db.getVertices().values()].map((v) => ({ id: v.id, text: v.text ?? v.id, shape: v.type ?? "square" })),
    edges: db.getEdges().map((e) => ({ from: e.start, to: e.end, label: e.text ?? "", type: e.type ?? "arrow_point", stroke: e.stroke ?? "normal" })),
    subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, title: s.title, nodes: [...s.nodes] })),
  };
}
