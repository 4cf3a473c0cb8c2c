import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { BACKEND_LADDER, BackendError, probeBackends, selectBackend } from "../../lib/train/index.js";

describe("probeBackends", { timeout: 60_000 }, () => {
  it("reports every rung of the ladder, in order", async () => {
    const probes = await probeBackends();
    expect(probes.map((p) => p.name)).toEqual([...BACKEND_LADDER]);
    for (const p of probes) {
      expect(p.package).not.toBe("");
      expect(p.ms).toBeGreaterThanOrEqual(0);
      if (!p.available) expect(p.reason.trim()).not.toBe("");
    }
  });

  it("always has cpu, and wasm works in Node", async () => {
    const probes = await probeBackends();
    const byName = Object.fromEntries(probes.map((p) => [p.name, p]));
    expect(byName.cpu.available).toBe(true);
    expect(byName.wasm).toMatchObject({ available: true, tfBackend: "wasm" });
    expect(byName.wasm.reason).toMatch(/SIMD/);
  });

  it("says why native TensorFlow is missing when it is", async () => {
    const native = (await probeBackends()).filter((p) => p.tfBackend === "tensorflow" && !p.available);
    for (const p of native) expect(p.reason).toMatch(/not installed|failed to load|already provides|registered no/);
  });

  it("caches per process and hands out copies", async () => {
    const first = await probeBackends();
    first[0].available = !first[0].available;
    const start = Date.now();
    const second = await probeBackends();
    expect(Date.now() - start).toBeLessThan(50);
    expect(second[0].available).toBe(!first[0].available);
  });
});

describe("selectBackend", { timeout: 60_000 }, () => {
  it("picks the first available rung and activates it", async () => {
    const best = (await probeBackends()).find((p) => p.available);
    const chosen = await selectBackend("");
    expect(chosen.name).toBe(best?.name);
    expect(tf.getBackend()).toBe(chosen.tfBackend);
  });

  it("honours an override", async () => {
    const chosen = await selectBackend("cpu");
    expect(chosen.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    const sum = tf.add(tf.scalar(2), tf.scalar(3));
    expect(await sum.data()).toEqual(new Float32Array([5]));
    sum.dispose();
  });

  it("rejects an unknown backend name with the allowed ones", async () => {
    const error = await selectBackend("quantum").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("BAD_BACKEND");
    expect((error as BackendError).message).toContain("tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu");
  });

  it("rejects an unavailable override with its reason", async () => {
    const missing = (await probeBackends()).find((p) => !p.available);
    if (!missing) return; // everything works on this machine
    const error = await selectBackend(missing.name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe("BACKEND_UNAVAILABLE");
    expect((error as BackendError).message).toContain(missing.reason);
    expect((error as BackendError).message).toContain("Unset CUSTOM_AI_BACKEND");
  });
});
