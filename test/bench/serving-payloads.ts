// Request bodies of the serving benchmark: one record or one image per request, built from real
// rows (breast cancer features, MNIST digits). Every server of a case gets the same bodies.
import type { DigitsBench, TabularBench } from "./bench-models.js";
import type { Payload } from "./load.js";

/** How many distinct bodies each case cycles through. */
const VARIANTS = 64;

/**
 * How a digit travels to /score: "instances" ({"instances": [[784 floats]]}), "images"
 * ({"images": ["<base64 PNG>"]}) or "png" (the raw PNG, Content-Type: image/png).
 */
export type ImagePayload = "instances" | "images" | "png";

const json = { "content-type": "application/json" };

export function tabularScore(m: TabularBench): Payload {
  const bodies = m.records.slice(0, VARIANTS).map((r) => JSON.stringify({ records: [r] }));
  return { method: "POST", path: "/score", headers: json, bodies };
}

function v2(name: string, inputName: string, shape: number[], rows: Float32Array, rowSize: number): Payload {
  const bodies: string[] = [];
  for (let i = 0; i < VARIANTS && (i + 1) * rowSize <= rows.length; i++) {
    const data = Array.from(rows.subarray(i * rowSize, (i + 1) * rowSize), (v) => Number(v.toPrecision(7)));
    bodies.push(JSON.stringify({ inputs: [{ name: inputName, shape: [1, ...shape], datatype: "FP32", data }] }));
  }
  return { method: "POST", path: `/v2/models/${name}/infer`, headers: json, bodies };
}

export const tabularV2 = (m: TabularBench, inputName: string): Payload => v2(m.name, inputName, [m.rowSize], m.rows, m.rowSize);
export const digitsV2 = (m: DigitsBench, inputName: string): Payload => v2(m.name, inputName, [28, 28, 1], m.rows, m.rowSize);

export function digitsScore(m: DigitsBench, kind: ImagePayload): Payload {
  const n = Math.min(VARIANTS, m.count);
  if (kind === "png") return { method: "POST", path: "/score", headers: { "content-type": "image/png" }, bodies: m.pngs.slice(0, n) };
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    bodies.push(
      kind === "images"
        ? JSON.stringify({ images: [m.pngs[i].toString("base64")] })
        : JSON.stringify({ instances: [Array.from(m.rows.subarray(i * 784, (i + 1) * 784), (v) => Number(v.toFixed(3)))] }),
    );
  }
  return { method: "POST", path: "/score", headers: json, bodies };
}

/** Sends one body and returns the parsed answer (checks a server scores before it is loaded). */
export async function probe(url: string, p: Payload): Promise<{ status: number; body: string }> {
  const body = p.bodies[0];
  const r = await fetch(url + p.path, { method: p.method, headers: p.headers, body: typeof body === "string" ? body : new Uint8Array(body), signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.text() };
}
