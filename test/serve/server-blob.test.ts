// Serving a model straight from Blob Storage (Azurite here): same answers as from the folder.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, startAzurite, type Azurite } from "../../lib/core/index.js";
import { createScoringServer } from "../../lib/serve/index.js";
import { record, saveTinyModel, type TinyModel } from "./server-helpers.js";

let azurite: Azurite;
let tiny: TinyModel;

beforeAll(async () => {
  [azurite, tiny] = await Promise.all([startAzurite({ inMemory: true }), saveTinyModel()]);
});
afterAll(() => azurite?.stop());

describe("a model in Blob Storage", () => {
  it("loads model.onnx + metadata.json from a container URL and scores like the local folder", async () => {
    const storage = { connectionString: azurite.connectionString };
    const store = await openStore(azurite.containerUrl("models", "tiny/v1"), storage);
    for (const f of ["model.onnx", "metadata.json"]) await store.put(f, readFileSync(path.join(tiny.dir, f)));
    const remote = createScoringServer({ model: store.url, ...storage });
    const local = createScoringServer({ model: tiny.dir });
    await Promise.all([remote.scoring.loaded, local.scoring.loaded]);
    const payload = { records: [record(1), record(4)] };
    const [a, b] = await Promise.all([remote, local].map((s) => s.inject({ method: "POST", url: "/score", payload })));
    expect(a.statusCode).toBe(200);
    expect(a.json().predictions).toEqual(b.json().predictions);
    await Promise.all([remote.close(), local.close()]);
  });

  it("reports a container without the model through /readyz and a rejected `loaded`", async () => {
    const s = createScoringServer({ model: azurite.containerUrl("models", "missing"), connectionString: azurite.connectionString });
    await expect(s.scoring.loaded).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    const r = await s.inject("/readyz");
    expect(r.statusCode).toBe(503);
    expect(r.json().error).toMatch(/No model\.onnx at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/models\/missing/);
    expect((await s.inject({ method: "POST", url: "/score", payload: record() })).json().error).toMatch(/The model failed to load/);
    await s.close();
  });
});
