import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, vegaLiteToSvg } from "../../lib/data/index.js";

const bars = (values: Array<{ a: string; b: number }>) => ({
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  data: { values },
  mark: "bar",
  encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } },
});

describe("vegaLiteToSvg", { timeout: 30_000 }, () => {
  it("renders a bar chart with one mark per row", async () => {
    const svg = await vegaLiteToSvg(bars([{ a: "A", b: 3 }, { a: "B", b: 5 }, { a: "C", b: 2 }, { a: "D", b: 7 }]));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain('class="mark-rect role-mark');
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(4);
    // The tallest bar is the one for D.
    expect(svg).toContain('aria-label="a: D; b: 7"');
  });

  it("scales the output", async () => {
    const spec = bars([{ a: "A", b: 1 }]);
    const width = (svg: string) => Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1]);
    expect(width(await vegaLiteToSvg(spec, { scale: 2 }))).toBeCloseTo(2 * width(await vegaLiteToSvg(spec)), 0);
  });

  it("refuses remote data instead of fetching it", async () => {
    const spec = { ...bars([]), data: { url: "https://example.com/data.csv" } };
    const error = await vegaLiteToSvg(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe("REMOTE_DATA");
  });

  it("reads local data relative to baseDir, and names a missing file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "custom-ai-plot-"));
    try {
      await writeFile(path.join(dir, "points.csv"), "a,b\nA,1\nB,2\n");
      const spec = { ...bars([]), data: { url: "points.csv" } };
      const svg = await vegaLiteToSvg(spec, { baseDir: dir });
      expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(2);
      const error = await vegaLiteToSvg({ ...spec, data: { url: "missing.csv" } }, { baseDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).code).toBe("DATA_LOAD");
      expect((error as DataError).message).toContain("missing.csv");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("explains a spec that does not compile", async () => {
    const error = await vegaLiteToSvg({ mark: "bar", encoding: { x: { field: "a", type: "nonsense" } }, data: { values: [] }, layer: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe("BAD_SPEC");
  });
});
