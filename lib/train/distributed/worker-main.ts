// The worker entrypoint of multi-node training: the command of the Kubernetes Indexed Job's pods
// and of runLocalJob's processes.
//   node bin/run-ts.mjs lib/train/distributed/worker-main.ts
// Configured by environment variables (see WORKER_ENV in config.ts). Exit codes: 0 done, 1 an
// unexpected error, 2 a known failure (bad config, barrier timeout, another rank failed...).
import { isCustomAiError } from "../../core/index.js";
import { workerConfigFromEnv } from "./config.js";
import { runWorker } from "./worker.js";

// Started by runLocalJob: leave when the launcher goes (its pipe to our stdin closes).
if (process.env.CUSTOM_AI_EXIT_WITH_PARENT === "1") {
  process.stdin.on("end", () => process.exit(130));
  process.stdin.on("error", () => process.exit(130));
  process.stdin.resume();
  process.stdin.unref?.();
}

// No top-level await: lib/ is also compiled to CommonJS by tslab.
async function main(): Promise<number> {
  try {
    await runWorker(workerConfigFromEnv());
    return 0;
  } catch (error) {
    if (isCustomAiError(error)) {
      console.error(`${error.name} ${error.code}: ${error.message}${error.hint ? `\n${error.hint}` : ""}`);
      return 2;
    }
    console.error(error);
    return 1;
  }
}

void main().then((code) => process.exit(code));
