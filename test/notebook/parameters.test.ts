import { describe, expect, it } from "vitest";
import { coerceParameter, declaredParameters, injectParameters, parseParameterArgs } from "../../lib/notebook/parameters.js";
import { parseNotebook, sourceText } from "../../lib/notebook/nbformat.js";

const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
  { cell_type: "markdown", id: "m", source: "# t", metadata: {} },
  { cell_type: "code", id: "p", source: 'let epochs: number = 3;\nconst name = "a";\nlet fast = true;\nlet cfg = { lr: 0.1 };', metadata: { tags: ["parameters"] }, outputs: [], execution_count: null },
  { cell_type: "code", id: "c", source: "epochs", metadata: {}, outputs: [], execution_count: null },
] }));

describe("parameters", () => {
  it("reads the declarations of the parameters cell", () => {
    const d = declaredParameters('let epochs: number = 3;\nconst name = "a"; // comment\nlet fast = true;\nlet cfg = { lr: 0.1 };');
    expect(d.get("epochs")).toMatchObject({ keyword: "let", annotation: "number", kind: "number" });
    expect(d.get("name")).toMatchObject({ keyword: "const", kind: "string" });
    expect(d.get("fast")?.kind).toBe("boolean");
    expect(d.get("cfg")?.kind).toBe("other");
  });

  it("types CLI text as the notebook declares it", () => {
    const d = declaredParameters('let n = 1;\nlet s = "x";\nlet b = false;');
    expect(coerceParameter("n", "20", d.get("n"))).toBe(20);
    expect(coerceParameter("s", "20", d.get("s"))).toBe("20");
    expect(coerceParameter("b", "yes", d.get("b"))).toBe(true);
    expect(coerceParameter("x", '{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(coerceParameter("x", "plain text")).toBe("plain text");
    expect(() => coerceParameter("n", "abc", d.get("n"))).toThrow(/declares n as number/);
    expect(() => coerceParameter("b", "maybe", d.get("b"))).toThrow(/boolean/);
  });

  it("inserts an injected-parameters cell after the parameters cell, keeping declared types", () => {
    const r = injectParameters(nb, { epochs: "10", name: "7", cfg: '{"lr":0.5}', extra: "x" }, { raw: true });
    const cells = r.notebook.cells;
    expect(cells.map((c) => c.id).slice(0, 2)).toEqual(["m", "p"]);
    expect(cells[2].metadata.tags).toEqual(["injected-parameters"]);
    const src = sourceText(cells[2].source);
    expect(src).toContain("let epochs: number = 10;");
    expect(src).toContain('const name = "7";');
    expect(src).toContain('let cfg = {"lr":0.5};');
    expect(r.undeclared).toEqual(["extra"]);
    expect(r.parameters).toEqual({ epochs: 10, name: "7", cfg: { lr: 0.5 }, extra: "x" });
    // Running an output notebook again replaces its injected cell instead of adding another.
    const again = injectParameters(r.notebook, { epochs: 2 });
    expect(again.notebook.cells.filter((c) => c.metadata.tags?.includes("injected-parameters"))).toHaveLength(1);
  });

  it("rejects bad names and mistyped API values", () => {
    expect(() => parseParameterArgs(["=3"])).toThrow(/name=value/);
    expect(() => parseParameterArgs(["bad-name=3"])).toThrow(/identifier/);
    expect(parseParameterArgs(["a=b=c"])).toEqual({ a: "b=c" });
    expect(() => injectParameters(nb, { epochs: "ten" })).toThrow(/declares it as number/);
  });

  it("puts parameters first when there is no parameters cell", () => {
    const plain = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", id: "c", source: "1", metadata: {}, outputs: [], execution_count: null }] }));
    const r = injectParameters(plain, { a: 1 });
    expect(r.noParametersCell).toBe(true);
    expect(r.notebook.cells[0].metadata.tags).toEqual(["injected-parameters"]);
  });
});
