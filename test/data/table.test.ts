import { describe, expect, it } from "vitest";
import { formatCell, htmlTable, markdownTable } from "../../lib/data/index.js";

describe("markdownTable", () => {
  it("renders rows with numeric columns right-aligned", () => {
    const table = markdownTable([
      { name: "wasm", available: true, ms: 12.3456789 },
      { name: "cpu", available: true, ms: 3 },
    ]);
    expect(table).toBe(
      ["| name | available | ms |", "| --- | --- | ---: |", "| wasm | true | 12.3457 |", "| cpu | true | 3 |"].join("\n"),
    );
  });

  it("keeps the given columns in order and escapes pipes and newlines", () => {
    expect(markdownTable([{ a: "x|y", b: "1\n2", c: null }], ["c", "a", "b"])).toBe(
      ["| c | a | b |", "| --- | --- | --- |", "|  | x\\|y | 1<br>2 |"].join("\n"),
    );
  });

  it("says when there is nothing to show", () => {
    expect(markdownTable([])).toBe("_(no rows)_");
  });
});

describe("htmlTable", () => {
  it("escapes HTML", () => {
    const html = htmlTable([{ tag: "<b>&</b>", n: 1 }]);
    expect(html).toContain("<td>&lt;b&gt;&amp;&lt;/b&gt;</td>");
    expect(html).toContain('<th style="text-align:right">n</th>');
    expect(html.startsWith("<table>")).toBe(true);
  });
});

describe("formatCell", () => {
  it("formats values for display", () => {
    expect(formatCell(0.000012345678)).toBe("0.0000123457");
    expect(formatCell(1234567.89)).toBe("1234570");
    expect(formatCell(undefined)).toBe("");
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(formatCell(Number.NaN)).toBe("NaN");
  });
});
