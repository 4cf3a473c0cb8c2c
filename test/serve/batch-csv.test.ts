// The byte-level CSV reader against the readline reader it replaced (batch-csv-reference.ts): the
// same rows, values (to the bit, -0 included) and errors, on edge cases and on random files cut
// into random chunks; and the results writer's numbers read back as the same float32s.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../lib/data/index.js";
import { parseNumberCell, ResultWriter, writeProbability } from "../../lib/serve/batch/csv.js";
import { CorruptInput, readCsvBatches } from "../../lib/serve/batch/readers.js";
import { referenceCsvBatches } from "./batch-csv-reference.js";

interface Outcome {
  rows: { id: string; values: number[] }[];
  error?: string;
}

/** The bytes as a stream of the given chunks (cut points). */
function streamOf(bytes: Buffer, cuts: number[] = []): Readable {
  const points = [0, ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end)).filter((c) => c.length > 0);
  return Readable.from(chunks);
}

async function collect(batches: AsyncGenerator<{ ids: string[]; raw: Float32Array }>, width: number): Promise<Outcome> {
  const rows: Outcome["rows"] = [];
  try {
    for await (const b of batches) b.ids.forEach((id, r) => rows.push({ id, values: Array.from(b.raw.subarray(r * width, (r + 1) * width)) }));
  } catch (error) {
    if (!(error instanceof CorruptInput)) throw error;
    return { rows, error: error.message };
  }
  return { rows };
}

const fast = (text: string | Buffer, features: string[], batchSize = 3, cuts: number[] = []) =>
  collect(readCsvBatches(streamOf(Buffer.from(text), cuts), features, batchSize), features.length);
const reference = (text: string | Buffer, features: string[], batchSize = 3) => collect(referenceCsvBatches(streamOf(Buffer.from(text)), features, batchSize), features.length);

/** Equal rows, values compared with Object.is (so -0 and 0 differ), and equal errors. */
function expectSame(got: Outcome, want: Outcome, context: string): void {
  expect(got.error, context).toEqual(want.error);
  expect(got.rows.length, context).toBe(want.rows.length);
  got.rows.forEach((row, i) => {
    expect(row.id, context).toBe(want.rows[i].id);
    row.values.forEach((v, c) => expect(Object.is(v, want.rows[i].values[c]), `${context}: row ${i} col ${c}: ${v} vs ${want.rows[i].values[c]}`).toBe(true));
  });
}

describe("CSV numbers", () => {
  const cells = [
    "0", "-0", "+0", "1", "-1", "+5", ".5", "-.5", "+.5", "5.", "-5.", "007", "0.000", "1e5", "1E5", "1e+5", "1e-5", "-1.5E-3", "2.5e0",
    "123456789012345", "1234567890123456", "12345678901234567890", "0.1234567890123456789", "9007199254740993", "1e22", "1e23", "1e-22", "1e-23",
    "4.9e-324", "1e-400", "1.7976931348623157e308", "1e308", "0e99999", "3.4028235e38", "3.4028236e38", "1.401298464324817e-45", "0.30000000000000004",
    " 7", "7 ", "\t8\t", "  -2.5  ", "\v3", "\u00a04",
    // not numbers: corrupt
    "", " ", ".", "-", "+", "e5", "1e", "1e+", "1e-", "1.2.3", "1,5", "NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1e400",
    "0x10", "0X1f", "-0x10", "0b101", "0o17", "1_000", "١", "12a", "a12", "--1", "+-1", "1 2", "٣.5",
  ];

  it("reads each cell as Number() does (finite, to float32), and rejects the rest naming line and column", async () => {
    for (const cell of cells) {
      const text = `id,x\na,${cell.includes(",") ? `"${cell}"` : cell}\n`;
      const got = await fast(text, ["x"]);
      const want = parseNumberCell(cell);
      if (want === undefined) {
        expect(got.error, JSON.stringify(cell)).toBe(`line 2, column x: ${JSON.stringify(cell)} is not a number`);
      } else {
        expect(got.error, JSON.stringify(cell)).toBeUndefined();
        expect(Object.is(got.rows[0].values[0], Math.fround(want)), `${JSON.stringify(cell)}: ${got.rows[0].values[0]} vs ${Math.fround(want)}`).toBe(true);
      }
    }
  });

  it("hex, binary and octal literals are corrupt, though Number() reads them", () => {
    expect(Number("0x10")).toBe(16);
    expect(parseNumberCell("0x10")).toBeUndefined();
    expect(parseNumberCell(" 0B1 ")).toBeUndefined();
    expect(parseNumberCell("0.5")).toBe(0.5);
  });

  it("agrees with Number() on 100,000 random numbers in every notation", async () => {
    const rnd = mulberry32(11);
    const texts: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const magnitude = 10 ** Math.floor(rnd() * 60 - 30);
      const v = (rnd() - 0.5) * magnitude;
      const form = i % 6;
      texts.push(
        form === 0 ? String(v) : form === 1 ? v.toFixed(Math.floor(rnd() * 12)) : form === 2 ? v.toExponential(Math.floor(rnd() * 18)) : form === 3 ? v.toPrecision(1 + Math.floor(rnd() * 20)) : form === 4 ? String(Math.fround(v)) : `${Math.floor(rnd() * 1e6)}.${Math.floor(rnd() * 1e6)}`,
      );
    }
    const csv = "a,b,c,d\n" + Array.from({ length: texts.length / 4 }, (_, r) => texts.slice(r * 4, r * 4 + 4).join(",")).join("\n") + "\n";
    const got = await fast(csv, ["a", "b", "c", "d"], 512);
    expect(got.error).toBeUndefined();
    const values = got.rows.flatMap((r) => r.values);
    expect(values).toHaveLength(texts.length);
    const wrong = texts.filter((t, i) => !Object.is(values[i], Math.fround(Number(t))));
    expect(wrong).toEqual([]);
  });
});

describe("CSV files", () => {
  it("finds features by name in any order, with or without an id column, and ignores other columns", async () => {
    expect(await fast("b,extra,id,a\n1,x,r1,2\n3,y,r2,4\n", ["a", "b"])).toEqual({ rows: [{ id: "r1", values: [2, 1] }, { id: "r2", values: [4, 3] }] });
    expect(await fast("a,b\n1,2\n\n3,4", ["a", "b"])).toEqual({ rows: [{ id: "0", values: [1, 2] }, { id: "1", values: [3, 4] }] });
    expect((await fast("a,c\n1,2\n", ["a", "b"])).error).toBe("it lacks the model's feature column(s) b");
  });

  it("handles a BOM, CRLF, a lone CR, blank lines, quoted cells, unicode ids, and names the bad line", async () => {
    const cases = [
      "\uFEFFid,a\r\nx,1\r\ny,2\r\n",
      "id,a\rx,1\ry,2",
      "\n\n  \nid,a\n\nx,1\n \t \ny,2\n\n",
      'id,a\n"x,1",1\n"say ""hi""",2\n',
      'id,a\n"x",\'1\'\n',
      "id,a\nzoë,1\n日本,2\n",
      "id,a\n x ,1\n",
      "id,a\nx,1\ny,2,3\n",
      "id,a\nx,1\ny\n",
      "id,a\nx,1\ny,\n",
      "id,a\nx,1\ny, \n",
      "",
      "\n\n",
      "\uFEFF",
      "id,a",
      "id,a\n",
      "id,a\nx,1",
      "id,a\nx,1\r",
      "id,a\nx,1\r\r\n",
      "id,a\r\n\r\nx,1\r\n",
      'id,"a"\nx,"1"\n',
      "id,a\n\u00a0x\u00a0,1\n",
      "id,a\nx\u2028y,1\n",
      Buffer.from([0x69, 0x64, 0x2c, 0x61, 0x0a, 0xff, 0xfe, 0x2c, 0x31, 0x0a, 0xe2, 0x82, 0x0a, 0x79, 0x2c, 0x32, 0x0a]).toString("latin1"),
    ];
    for (const text of cases) {
      const bytes = text.startsWith("id,a\n\u00ff") ? Buffer.from(text, "latin1") : Buffer.from(text);
      expectSame(await fast(bytes, ["a"]), await reference(bytes, ["a"]), JSON.stringify(text));
    }
    expect((await fast("", ["a"])).error).toBe("the file is empty (no header row)");
    expect((await fast("id,a\nx,1\ny,2,3\n", ["a"])).error).toBe("line 3 has 3 columns, the header 2");
    expect((await fast("id,a\r\n\r\nx,1\r\ny,0x1\r\n", ["a"])).error).toBe('line 4, column a: "0x1" is not a number');
  });

  it("agrees with the readline reader on 400 random files cut into random chunks", async () => {
    const rnd = mulberry32(5);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const numberCells = ["1", "-2.5", "+3", ".5", "6.", "1e3", "2E-2", "0", "-0", "123456789012345678", " 4 ", "\t5", "1e400", "0x1", "NaN", "", "7e", '"8"', '"9,1"', "١", "1.5e-310"];
    const idCells = ["r1", "r 2", " r3 ", '"r,4"', '"r""5"', "é", "日", "", "\u00a0r6"];
    const endings = ["\n", "\r\n", "\r"];
    let corrupt = 0;
    for (let f = 0; f < 400; f++) {
      const withId = rnd() < 0.7;
      const header = [...(withId ? ["id"] : []), "a", "b", ...(rnd() < 0.3 ? ["skip"] : [])].sort(() => rnd() - 0.5);
      const rows = Math.floor(rnd() * 12);
      // Mostly clean files (so some get past the first rows), some with odd cells.
      const odd = rnd() < 0.5 ? 0.03 : 0.25;
      let text = (rnd() < 0.2 ? "\uFEFF" : "") + header.join(",") + pick(endings);
      for (let r = 0; r < rows; r++) {
        if (rnd() < 0.1) text += pick(["", " ", "\t"]) + pick(endings);
        const cells = header.map((h) => (h === "id" ? pick(idCells) : h === "skip" ? pick(["x", '"y,z"', "ü", ""]) : rnd() < odd ? pick(numberCells) : String(Math.round((rnd() - 0.5) * 1e5) / 100)));
        if (rnd() < odd / 5) cells.push("extra");
        text += cells.join(",") + (r < rows - 1 || rnd() < 0.7 ? pick(endings) : "");
      }
      const bytes = Buffer.from(text);
      const cuts = Array.from({ length: Math.floor(rnd() * 6) }, () => Math.floor(rnd() * bytes.length));
      const batchSize = 1 + Math.floor(rnd() * 4);
      const want = await reference(bytes, ["b", "a"], batchSize);
      if (want.error) corrupt++;
      expectSame(await fast(bytes, ["b", "a"], batchSize, cuts), want, `${JSON.stringify(text)} cut at ${cuts}`);
    }
    // Both kinds were exercised.
    expect(corrupt).toBeGreaterThan(40);
    expect(corrupt).toBeLessThan(360);
  });

  it("streams: a line split across many chunks, and batches of the requested size", async () => {
    const long = "x".repeat(200_000);
    const text = `id,a\n${long},1\nshort,2\n`;
    const bytes = Buffer.from(text);
    const got = await fast(bytes, ["a"], 1, Array.from({ length: 40 }, (_, i) => 3 + i * 5_000));
    expect(got.rows.map((r) => [r.id.length, r.values[0]])).toEqual([[200_000, 1], [5, 2]]);
    const sizes: number[] = [];
    for await (const b of readCsvBatches(Readable.from([Buffer.from("a\n" + "1\n".repeat(10))]), ["a"], 4)) sizes.push(b.ids.length);
    expect(sizes).toEqual([4, 4, 2]);
  });
});

describe("results writer", () => {
  it("writes probabilities as the shortest text that reads back as the same float32", () => {
    const rnd = mulberry32(3);
    const buf = Buffer.alloc(64);
    const values = [0, 1, 1e-9, 1.0000001e-9, 0.1, 0.01, 0.099999994, 0.99999994, 0.5, 5e-8, 0.1000000015, Math.fround(0.3), 2, -0.5, 1e-12];
    for (let i = 0; i < 200_000; i++) values.push(Math.fround(rnd() ** (1 + 20 * rnd())));
    let ours = 0;
    let plain = 0;
    const wrong: string[] = [];
    for (const v of values.map(Math.fround)) {
      const text = buf.toString("latin1", 0, writeProbability(buf, 0, v));
      if (Math.fround(Number(text)) !== v) wrong.push(`${v} → ${text}`);
      // The shortest such text (what numpy prints), in the same notation.
      if (v > 1e-9 && v < 1) {
        let p = 1;
        while (Math.fround(Number(v.toPrecision(p))) !== v) p++;
        if (text.replace(/^0\.0*/, "").length !== p) wrong.push(`${v} → ${text}, not ${p} digits`);
      }
      ours += text.length;
      plain += String(v).length;
    }
    expect(wrong).toEqual([]);
    expect(ours).toBeLessThan(plain * 0.7);
  });

  it("writes id, label of the highest probability, and the probabilities, quoting odd ids", () => {
    const w = new ResultWriter(["no", "yes, sure"]);
    const probs = Float32Array.from([0.25, 0.75, 0.5, 0.5, 1, 0]);
    expect(w.rows(["a", 'b"c', "日本"], probs, 3).toString()).toBe('a,"yes, sure",0.25,0.75\n"b""c",no,0.5,0.5\n日本,no,1,0\n');
    // The buffer grows for long ids.
    const long = "x".repeat(100_000);
    expect(w.rows([long], probs, 1).toString()).toBe(`${long},"yes, sure",0.25,0.75\n`);
  });
});
