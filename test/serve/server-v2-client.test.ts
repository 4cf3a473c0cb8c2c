// The V2 routes over a real socket with NVIDIA's Python client (tritonclient[http] from PyPI).
// CI: python3 -m pip install "tritonclient[http]"
import { execFile, execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { LABELS, record, row, saveTinyModel } from "./server-helpers.js";

const python = process.env.PYTHON ?? "python3";
const hasTriton = (() => {
  try {
    execFileSync(python, ["-c", "import tritonclient.http, numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function runClient(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(python, ["test/serve/fixtures/v2_client.py", ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

let server: ScoringServer;
let hostPort: string;

beforeAll(async () => {
  const tiny = await saveTinyModel();
  server = createScoringServer({ modelDir: tiny.dir, apiKey: "k3y" });
  await server.scoring.loaded;
  const address = await server.listen({ port: 0, host: "127.0.0.1" });
  hostPort = address.replace(/^http:\/\//, "");
});
afterAll(() => server?.close());

// CI installs tritonclient (.ci/run): there a missing client is a failure, not a skip.
it.runIf(!hasTriton && Boolean(process.env.CI))("tritonclient is installed in CI", () => {
  expect.fail('python3 cannot import tritonclient: run python3 -m pip install "tritonclient[http]"');
});

describe.skipIf(!hasTriton)("KServe V2 with tritonclient (pip install \"tritonclient[http]\")", () => {
  it("health, metadata and infer; the probabilities match /score within 1e-6", async () => {
    const rows = [row(0), row(7), row(12)];
    const out = JSON.parse(await runClient([hostPort, "tiny-classifier", JSON.stringify(rows), "k3y"]));
    expect(out).toMatchObject({ live: true, ready: true, model_ready: true });
    expect(out.metadata.inputs[0]).toMatchObject({ datatype: "FP32", shape: [-1, 4] });
    const scored = await fetch(`http://${hostPort}/score`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k3y" },
      body: JSON.stringify({ records: [record(0), record(7), record(12)] }),
    }).then((r) => r.json() as Promise<{ predictions: { probabilities: Record<string, number> }[] }>);
    expect(out.output).toHaveLength(3);
    out.output.forEach((probs: number[], i: number) => {
      LABELS.forEach((l, k) => expect(Math.abs(probs[k] - scored.predictions[i].probabilities[l])).toBeLessThan(1e-6));
    });
  });

  it("fails the client without the API key", async () => {
    await expect(runClient([hostPort, "tiny-classifier", JSON.stringify([row(0)])])).rejects.toThrow(/401|API key/);
  });
});
