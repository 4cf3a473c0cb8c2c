// The diagrams of architectures/: every ```mermaid block of its Markdown files, and the SVG each
// renders to (architectures/svg/<document>-<n>.svg, n from 1 in document order).
//   npm run docs:diagrams   regenerate the SVGs after changing a diagram
// test/platforms/diagrams.test.ts parses every block and fails when an SVG is stale.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { flowchart, mermaidBlocks, type Block } from "./mermaid.js";
import { flowchartSvg } from "./svg.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const ARCHITECTURES = path.join(ROOT, "architectures");
export const SVG_FOLDER = path.join(ARCHITECTURES, "svg");

/** architectures/*.md, sorted. */
export function documents(): string[] {
  return readdirSync(ARCHITECTURES)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => path.join(ARCHITECTURES, f));
}

export function allBlocks(): Block[] {
  return documents().flatMap((d) => mermaidBlocks(d));
}

/** Where a block's SVG lives. */
export function svgPathOf(block: Block): string {
  return path.join(SVG_FOLDER, `${path.basename(block.file, ".md")}-${block.index + 1}.svg`);
}

export async function renderBlock(block: Block): Promise<string> {
  return flowchartSvg(await flowchart(block.text), `${path.basename(block.file)}, diagram ${block.index + 1}`);
}

/** Writes every SVG afresh (and removes those of diagrams that no longer exist). */
export async function renderAll(): Promise<string[]> {
  rmSync(SVG_FOLDER, { recursive: true, force: true });
  mkdirSync(SVG_FOLDER, { recursive: true });
  const written: string[] = [];
  for (const block of allBlocks()) {
    const file = svgPathOf(block);
    writeFileSync(file, await renderBlock(block));
    written.push(path.relative(ROOT, file));
  }
  return written;
}

export const readSvg = (block: Block): string => readFileSync(svgPathOf(block), "utf8");

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const written = await renderAll();
  process.stdout.write(`${written.join("\n")}\n${written.length} diagrams rendered\n`);
}
