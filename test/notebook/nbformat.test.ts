import { describe, expect, it } from "vitest";
import { formatNotebook, parseNotebook, readNotebook } from "../../lib/notebook/nbformat.js";
import { RunnerError } from "../../lib/notebook/errors.js";

const fixture = (name: string) => `test/notebook/fixtures/${name}`;

function errorOf(fn: () => unknown): RunnerError {
  try {
    fn();
  } catch (e) {
    return e as RunnerError;
  }
  throw new Error("expected an error");
}

describe("nbformat", () => {
  it("names the file and the problem for malformed notebooks", () => {
    const notJson = errorOf(() => readNotebook(fixture("not-json.ipynb")));
    expect(notJson.code).toBe("BAD_NOTEBOOK");
    expect(notJson.message).toContain("not-json.ipynb");
    expect(notJson.message).toContain("not JSON");

    const v3 = errorOf(() => readNotebook(fixture("nbformat3.ipynb")));
    expect(v3.message).toMatch(/nbformat 3 is not supported.*nbconvert/);

    const noCells = errorOf(() => readNotebook(fixture("no-cells.ipynb")));
    expect(noCells.message).toContain('no "cells" list');

    expect(errorOf(() => readNotebook(fixture("missing.ipynb"))).message).toContain("no such file");
    expect(errorOf(() => parseNotebook('{"nbformat":4,"cells":[{"cell_type":"weird","source":""}]}', "x.ipynb")).message).toContain('cell 0 has cell_type "weird"');
    expect(errorOf(() => parseNotebook('{"nbformat":4,"cells":[{"cell_type":"code","source":5}]}', "x.ipynb")).message).toContain("cell 0 has no text");
  });

  it("upgrades to v4.5: every cell gets a unique valid id", () => {
    const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 2, metadata: {}, cells: [
      { cell_type: "code", source: "a", metadata: {}, outputs: [] },
      { cell_type: "markdown", source: "b", metadata: {}, id: "dup" },
      { cell_type: "markdown", source: "c", metadata: {}, id: "dup" },
    ] }));
    expect(nb.nbformat_minor).toBe(5);
    const ids = nb.cells.map((c) => c.id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(ids[1]).toBe("dup");
  });

  it("writes sources as line lists, as Jupyter does", () => {
    const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", id: "a", source: "x\ny", metadata: {}, outputs: [], execution_count: null }] }));
    const back = JSON.parse(formatNotebook(nb));
    expect(back.cells[0].source).toEqual(["x\n", "y"]);
    expect(parseNotebook(formatNotebook(nb)).cells[0].source).toEqual(["x\n", "y"]);
  });
});
