// ensureTutorialModel: the 1-1 models for the scoring tutorials, saved with saveServableModel.
import { existsSync, readdirSync, unlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MODEL_FILES, readModelFile, readModelMetadata } from "../../lib/models/index.js";
import { ensureTutorialModel } from "../../lib/train/index.js";
import { tempDir } from "../support/temp.js";

describe("ensureTutorialModel", () => {
  it("trains and saves a servable model when the folder has none, then uses it as it is", async () => {
    const dir = path.join(tempDir("cai-tutorial-"), "breast-cancer-mlp");
    const lines: string[] = [];
    const first = await ensureTutorialModel("breast-cancer-mlp", dir, { log: (l) => lines.push(l) });
    expect(first).toMatchObject({ dir, trained: true, metrics: { accuracy: expect.any(Number) } });
    expect(first.metrics.accuracy).toBeGreaterThan(0.85);
    expect(readdirSync(dir).sort()).toEqual([MODEL_FILES.metadata, MODEL_FILES.topology, MODEL_FILES.onnx, MODEL_FILES.weights].sort());
    const metadata = await readModelMetadata(dir);
    expect(Object.keys(metadata.files ?? {}).sort()).toEqual([MODEL_FILES.topology, MODEL_FILES.onnx, MODEL_FILES.weights].sort());
    expect(await readModelFile(dir, MODEL_FILES.onnx, metadata)).toBeDefined();
    expect(readdirSync(path.dirname(dir))).toEqual(["breast-cancer-mlp"]); // the staging folder is gone

    const again = await ensureTutorialModel("breast-cancer-mlp", dir, { log: (l) => lines.push(l) });
    expect(again).toEqual({ ...first, trained: false });

    // A save that did not finish (no metadata.json) is trained again.
    unlinkSync(path.join(dir, MODEL_FILES.metadata));
    const third = await ensureTutorialModel("breast-cancer-mlp", dir, { log: (l) => lines.push(l) });
    expect(third.trained).toBe(true);
    expect(existsSync(path.join(dir, MODEL_FILES.metadata))).toBe(true);
    expect(lines.filter((l) => l.includes("training it here"))).toHaveLength(2);
  }, 120_000);
});
