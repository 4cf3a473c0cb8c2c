// The batch-scoring worker entrypoint: the command of a Kubernetes Indexed Job's pods and of
// runBatchScoring's local processes.
//   node bin/run-ts.mjs lib/serve/batch/worker-main.ts
// Configured by environment variables: the job's (JOB_ENV in lib/jobs: JOB_COMPLETION_INDEX,
// WORLD_SIZE) and BATCH_ENV in worker.ts: CUSTOM_AI_BATCH_MODEL / _INPUT / _OUTPUT, optional CUSTOM_AI_BATCH_SIZE and
// AZURE_STORAGE_CONNECTION_STRING. Exit codes: 0 done (quarantined partitions included: they are
// data errors a retry cannot fix, so the Job must not retry the pod for them), 1 an unexpected
// error, 2 a known failure (bad configuration, model or storage).
import { runWorkerMain } from "../../jobs/index.js";
import { batchWorkerConfigFromEnv, runBatchWorker } from "./worker.js";

runWorkerMain(async () => {
  const result = await runBatchWorker(batchWorkerConfigFromEnv());
  console.log(`done: ${result.scored} scored, ${result.skipped} skipped, ${result.quarantined} quarantined, ${result.rows} rows`);
});
