// Shared by the Kubernetes tests: the real `custom-ai` command as a child process, and a model
// folder with only its metadata.json (all the deploy commands read of a model).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { ModelMetadata } from "../../lib/models/saved/index.js";
import { tempDir } from "../support/temp.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/custom-ai.mjs ...args` and resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve("bin/custom-ai.mjs"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A folder holding the model's metadata.json. */
export function modelFolder(metadata: ModelMetadata): string {
  const dir = tempDir("cai-k8s-model-");
  writeFileSync(path.join(dir, "metadata.json"), JSON.stringify(metadata));
  return dir;
}
