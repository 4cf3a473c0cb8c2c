// The local stand-in for a Kubernetes Indexed Job, shared by training (lib/train/distributed) and
// batch scoring (lib/serve/batch): N processes of one worker entrypoint (runLocalJob), the
// environment contract they and the Job's pods read (JOB_ENV, readJobEnv), and the worker side of
// it (runWorkerMain). Imports only lib/core, and loads no TensorFlow.js or ONNX Runtime.
export { JOB_ENV, readJobEnv, jobEnv, type JobEnv, type ReadJobEnvOptions } from "./env.js";
export { runLocalJob, describeFailures, type LocalJobOptions, type LocalJobResult, type LocalJobProgress, type WorkerExit } from "./local-job.js";
export { runWorkerMain } from "./worker-main.js";
export { JobError, type JobErrorCode } from "./errors.js";
export { ENTRYPOINTS, CONTAINER_WORKDIR, type EntrypointName } from "./entrypoints.js";
export { BATCH_ENV, TRAIN_WORKER_ENV } from "./worker-env.js";
