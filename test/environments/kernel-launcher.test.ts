// The kernelspec the DSVM set-up installs, run the way Jupyter runs it: started in the notebook's
// folder. Its launcher must move to the project root so that cells can import ./lib.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runNotebook } from "../../lib/notebook/index.js";
import { tempDir } from "../support/temp.js";

describe("custom-ai-tslab kernelspec", () => {
  it("runs a notebook that imports ./lib when started in the notebook's folder", async () => {
    const prefix = tempDir("cai-spec-");
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ["node_modules/zx/build/cli.js", "environments/dsvm/setup-tslab.mjs", "--prefix", prefix], (err, _o, stderr) =>
        err ? reject(new Error(stderr)) : resolve(),
      ),
    );
    process.env.JUPYTER_PATH = path.join(prefix, "share", "jupyter");
    try {
      const notebookDir = path.resolve("test/notebook/fixtures");
      const r = await runNotebook(path.join(notebookDir, "outputs.ipynb"), { kernelName: "custom-ai-tslab", launch: "kernelspec", cwd: notebookDir });
      expect(r.kernel.source).toBe(path.join(prefix, "share", "jupyter", "kernels", "custom-ai-tslab", "kernel.json"));
      expect(r.error, r.error?.message).toBeUndefined();
      expect(r.glue.epochs).toBe(3);
    } finally {
      delete process.env.JUPYTER_PATH;
    }
  });
});
