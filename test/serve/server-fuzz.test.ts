// Hostile and malformed bodies: every answer a 4xx with a JSON { error }, never a 5xx or a stack
// trace, and the server still healthy and scoring afterwards. Seeded, so a failure reproduces.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { FEATURES, record, saveTinyModel } from "./server-helpers.js";
import { mulberry32 } from "../../lib/data/random.js";

let server: ScoringServer;
let inputName: string;

beforeAll(async () => {
  const tiny = await saveTinyModel();
  server = createScoringServer({ modelDir: tiny.dir, bodyLimit: 64 * 1024, maxQueue: 64 });
  await server.scoring.loaded;
  inputName = ((await server.inject("/v2/models/tiny-classifier")).json() as { inputs: { name: string }[] }).inputs[0].name;
});
afterAll(() => server?.close());

// mulberry32 (lib/data): a small seeded PRNG, so a failing body reproduces.
const rng = mulberry32;

const rand = rng(20261122);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (n: number) => Math.floor(rand() * n);

function randomJson(depth = 0): unknown {
  const kinds = depth > 3 ? ["num", "str", "bool", "null"] : ["num", "str", "bool", "null", "arr", "obj"];
  switch (pick(kinds)) {
    case "num":
      return pick([0, -1, 1e308, -1e-308, 3.14, 2 ** 53 + 1]);
    case "str":
      return pick(["", "NaN", "Infinity", "-Infinity", "1", "\u0000", "💥", "<script>", "a".repeat(int(200))]);
    case "bool":
      return rand() < 0.5;
    case "null":
      return null;
    case "arr":
      return Array.from({ length: int(5) }, () => randomJson(depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(5) }, (_, i) => [pick([...FEATURES, "records", "instances", "inputs", `k${i}`]), randomJson(depth + 1)]));
  }
}

// A valid record with exactly one thing broken.
function brokenRecord(): Record<string, unknown> {
  const r: Record<string, unknown> = { ...record(int(10)) };
  const f = pick(FEATURES);
  switch (int(4)) {
    case 0:
      delete r[f];
      break;
    case 1:
      r[f] = pick(["NaN", "Infinity", null, "", [], {}, true, "12"]);
      break;
    case 2:
      r[`${f}_x`] = 1;
      break;
    default:
      r[f] = [r[f]];
  }
  return r;
}

function brokenV2(): unknown {
  const input: Record<string, unknown> = { name: inputName, shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] };
  const key = pick(["name", "shape", "datatype", "data"]);
  input[key] = pick([null, "FP32", "BYTES", [], [1], [0, 4], [-1, 4], [1, 4, 1], ["1", 2, 3, 4], [1, 2, 3, null], {}, 7, "x"]);
  if (key === "datatype" && input.datatype === "FP32") input.datatype = "FP16";
  if (key === "name" && input.name === "FP32") input.name = 7;
  if (key === "data" && Array.isArray(input.data) && input.data.length === 4 && input.data.every((v) => typeof v === "number")) input.data = [1, 2, 3];
  return pick([{ inputs: [input] }, { inputs: input }, { inputs: [input, input] }, { inputs: [] }, [input]]);
}

interface Case {
  url: string;
  body: string | Buffer;
  type?: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const urls = ["/score", "/v2/models/tiny-classifier/infer"];
  const json = (body: unknown, url = pick(urls)): Case => ({ url, body: JSON.stringify(body) ?? "null", type: "application/json" });
  for (let i = 0; i < 120; i++) {
    const v = randomJson();
    // A random object could, by chance, be a valid record; wrap it so it never is.
    out.push(json(typeof v === "object" && v !== null && !Array.isArray(v) ? { ...v, zzz: v } : v));
  }
  for (let i = 0; i < 60; i++) out.push(json(pick([brokenRecord(), { records: [record(), brokenRecord()] }, { instances: [[1, 2, 3, 4], [pick([null, "1", [], {}]), 2, 3, 4]] }]), "/score"));
  for (let i = 0; i < 60; i++) out.push(json(brokenV2(), urls[1]));
  // Deep nesting, in arrays and objects, valid JSON well under the body limit.
  for (const depth of [1_000, 10_000, 30_000]) {
    out.push({ url: "/score", body: `{"instances":${"[".repeat(depth)}${"]".repeat(depth)}}`, type: "application/json" });
    out.push({ url: "/score", body: `${'{"age":'.repeat(depth)}1${"}".repeat(depth)}`, type: "application/json" });
    out.push({ url: urls[1], body: `{"inputs":${"[".repeat(depth)}${"]".repeat(depth)}}`, type: "application/json" });
  }
  // Over the body limit, and over the per-request row limit.
  out.push(json({ instances: Array.from({ length: 20_000 }, () => [1, 2, 3, 4]) }, "/score"));
  out.push(json({ instances: Array.from({ length: 65 }, () => [1, 2, 3, 4]) }, "/score"));
  out.push(json({ inputs: [{ name: inputName, shape: [100_000, 4], datatype: "FP32", data: [1] }] }, urls[1]));
  // Not JSON, invalid UTF-8, prototype poisoning, wrong content types.
  const bytes = (xs: number[]) => Buffer.from(xs);
  for (let i = 0; i < 20; i++) out.push({ url: pick(urls), body: bytes(Array.from({ length: 1 + int(64) }, () => int(256))), type: "application/json" });
  out.push({ url: "/score", body: Buffer.concat([Buffer.from('{"age":"'), bytes([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('","income":1,"score":1,"tenure":1}')]), type: "application/json" });
  out.push({ url: "/score", body: '{"__proto__":{"age":1}}', type: "application/json" });
  out.push({ url: "/score", body: '{"constructor":{"prototype":{"age":1}}}', type: "application/json" });
  out.push({ url: "/score", body: "", type: "application/json" });
  out.push({ url: "/score", body: "age=1&income=2", type: "application/x-www-form-urlencoded" });
  out.push({ url: "/score", body: JSON.stringify(record()), type: "text/plain" });
  out.push({ url: "/score", body: JSON.stringify(record()), type: "application/octet-stream" });
  out.push({ url: "/score", body: JSON.stringify(record()), type: "multipart/form-data; boundary=x" });
  out.push({ url: urls[1], body: "not json", type: "text/plain" });
  out.push({ url: urls[1], body: bytes([0, 1, 2, 3]), type: "application/octet-stream" });
  return out;
}

describe("fuzzing /score and V2 infer", () => {
  it("answers every malformed body with a 4xx { error }, never a 5xx or a stack trace", async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(250);
    const failures: string[] = [];
    for (let i = 0; i < all.length; i += 16) {
      const chunk = all.slice(i, i + 16);
      const answers = await Promise.all(chunk.map((c) => server.inject({ method: "POST", url: c.url, payload: c.body, headers: c.type ? { "content-type": c.type } : {} })));
      answers.forEach((r, k) => {
        const c = chunk[k];
        const shown = `${c.url} ${c.type} ${String(c.body).slice(0, 80)} → ${r.statusCode} ${r.body.slice(0, 200)}`;
        if (r.statusCode < 400 || r.statusCode >= 500) failures.push(shown);
        else if (/\n\s+at |node_modules|\.ts:\d+/.test(r.body)) failures.push(`stack trace: ${shown}`);
        else if (typeof (JSON.parse(r.body) as { error?: unknown }).error !== "string") failures.push(`no error message: ${shown}`);
      });
    }
    expect(failures).toEqual([]);
    // Still healthy, and still scoring correctly.
    expect((await server.inject("/healthz")).statusCode).toBe(200);
    expect((await server.inject("/readyz")).statusCode).toBe(200);
    const ok = await server.inject({ method: "POST", url: "/score", payload: record() });
    expect(ok.statusCode).toBe(200);
    expect(server.scoring.stats().rejected).toBe(0);
    expect((await server.inject("/metrics")).body).not.toMatch(/status="5\d\d"/);
  });
});
