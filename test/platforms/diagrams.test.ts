// Every Mermaid diagram of architectures/ parses with mermaid's own parser, and its SVG in
// architectures/svg/ is the one `npm run docs:diagrams` makes from it now.
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allBlocks, documents, readSvg, renderBlock, svgPathOf, SVG_FOLDER } from "./diagrams.js";
import { parseDiagram } from "./mermaid.js";

const blocks = allBlocks();

describe("architectures/ diagrams", () => {
  it("every document but the index has a diagram", () => {
    const without = documents().filter((d) => !blocks.some((b) => b.file === d)).map((d) => path.basename(d));
    expect(without).toEqual(["README.md"]);
  });

  it("mermaid parses every diagram, and rejects a broken one", async () => {
    for (const b of blocks) {
      await expect(parseDiagram(b.text), `${path.basename(b.file)}:${b.line}`).resolves.toMatch(/^flowchart/);
    }
    await expect(parseDiagram("flowchart TD\n  A[open --> B")).rejects.toThrow(/Parse error/);
  });

  it("each SVG is up to date with its diagram (npm run docs:diagrams) and none is left over", async () => {
    for (const b of blocks) {
      const where = `${path.relative(process.cwd(), svgPathOf(b))}: run npm run docs:diagrams`;
      expect(readSvg(b), where).toBe(await renderBlock(b));
    }
    expect(readdirSync(SVG_FOLDER).sort()).toEqual(blocks.map((b) => path.basename(svgPathOf(b))).sort());
  });

  it("an SVG draws every node's and every edge label's text", async () => {
    const b = blocks.find((x) => x.file.endsWith("compute-platforms.md"))!;
    const svg = await renderBlock(b);
    for (const text of ["Needs a GPU?", "GPU DSVM", "path 1-1", "Checkpointed, so a run survives eviction?", "yes", "no"]) expect(svg).toContain(`>${text}</text>`);
    expect(svg.match(/marker-end=/g)?.length).toBe(b.text.split("\n").filter((l) => l.includes("-->")).length);
  });
});
