// The worker entrypoint of multi-node training: the command of the Kubernetes Indexed Job's pods
// and of runLocalJob's processes (lib/jobs).
//   node bin/run-ts.mjs lib/train/distributed/worker-main.ts
// Configured by environment variables (JOB_ENV in lib/jobs, WORKER_ENV in config.ts). Exit codes: 0
// done, 1 an unexpected error, 2 a known failure (bad config, barrier timeout, another rank failed...).
import { runWorkerMain } from "../../jobs/index.js";
import { workerConfigFromEnv } from "./config.js";
import { runWorker } from "./worker.js";

runWorkerMain(async () => {
  await runWorker(workerConfigFromEnv());
});
