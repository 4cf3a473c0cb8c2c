// Compressed request bodies (gzip, deflate, br) are scored like plain ones; a corrupt one gets
// 400, a small body that inflates past the limit 413, an unknown encoding or a non-UTF-8 JSON
// charset 415 — never a 500, never a body misread.
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { record, saveTinyModel } from "./server-helpers.js";

let server: ScoringServer;
beforeAll(async () => {
  server = createScoringServer({ model: (await saveTinyModel()).dir, bodyLimit: 16 * 1024 });
  await server.scoring.loaded;
});
afterAll(() => server?.close());

const post = (payload: Buffer | string, headers: Record<string, string>) =>
  server.inject({ method: "POST", url: "/score", payload, headers: { "content-type": "application/json", ...headers } });

describe("request body encodings", () => {
  it("scores gzip, deflate and br bodies as the plain body", async () => {
    const body = JSON.stringify({ records: [record(1), record(2)] });
    const plain = (await post(body, {})).json();
    for (const [encoding, bytes] of [["gzip", gzipSync(body)], ["deflate", deflateSync(body)], ["br", brotliCompressSync(body)]] as const) {
      const r = await post(bytes, { "content-encoding": encoding });
      expect(r.statusCode, `${encoding}: ${r.body}`).toBe(200);
      expect(r.json()).toEqual(plain);
    }
  });

  it("answers a body that is not what its encoding says with 400", async () => {
    const r = await post(JSON.stringify(record()), { "content-encoding": "gzip" });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/not valid gzip data/);
  });

  it("answers a small body that inflates past the limit with 413", async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20)); // 10 MiB of spaces, ~10 KiB compressed
    expect(bomb.length).toBeLessThan(16 * 1024);
    const r = await post(bomb, { "content-encoding": "gzip" });
    expect(r.statusCode).toBe(413);
  });

  it("answers an unknown encoding and a non-UTF-8 JSON charset with 415", async () => {
    const r = await post(JSON.stringify(record()), { "content-encoding": "compress" });
    expect(r.statusCode).toBe(415);
    expect(r.json().error).toMatch(/Content-Encoding "compress" is not supported/);
    const c = await post(JSON.stringify(record()), { "content-type": "application/json; charset=latin1" });
    expect(c.statusCode).toBe(415);
    expect(c.json().error).toMatch(/must be UTF-8/);
    expect((await post(JSON.stringify(record()), { "content-type": "application/json; charset=UTF-8" })).statusCode).toBe(200);
  });
});
