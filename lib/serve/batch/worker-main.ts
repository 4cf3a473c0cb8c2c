// The batch-scoring worker entrypoint: the command of a Kubernetes Indexed Job's pods and of
// runBatchScoring's local processes.
//   node bin/run-ts.mjs lib/serve/batch/worker-main.ts
// Configured by environment variables (BATCH_ENV in worker.ts): JOB_COMPLETION_INDEX, WORLD_SIZE,
// CUSTOM_AI_BATCH_MODEL / _INPUT / _OUTPUT, optional CUSTOM_AI_BATCH_SIZE and
// AZURE_STORAGE_CONNECTION_STRING. Exit codes: 0 done (quarantined partitions included: they are
// data errors a retry cannot fix, so the Job must not retry the pod for them), 1 an unexpected
// error, 2 a known failure (bad configuration, model or storage).
import { isCustomAiError } from "../../core/index.js";
import { batchWorkerConfigFromEnv, runBatchWorker } from "./worker.js";

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
    const result = await runBatchWorker(batchWorkerConfigFromEnv());
    console.log(`done: ${result.scored} scored, ${result.skipped} skipped, ${result.quarantined} quarantined, ${result.rows} rows`);
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
