// Every error code of the toolkit, in one table: what it means, what to do, which error classes
// throw it, and the `custom-ai` command's exit code for it. The per-boundary code unions
// (ServeErrorCode, JobErrorCode, ...) are derived from it, so a code cannot be thrown without being
// listed here; README.md's "Errors and exit codes" is checked against it (test/cli/errors.test.ts).
// lib/notebook/ imports no other lib folder, so it declares its RunnerErrorCode itself; lib/cli/errors.ts
// fails to compile if that union and the table's RunnerError codes differ.

/** The `custom-ai` command's exit codes, and what each means. */
export const EXIT_CODES = {
  0: "success",
  1: "failed: the message says what to do (`score`: running it again resumes)",
  2: "usage: an option, argument, parameter or input file that cannot be used; fix the command",
  3: "`notebooks run`: the kernel could not start or died · `score`: done, but some input was quarantined",
  130: "aborted: Ctrl-C (SIGINT) or an AbortSignal stopped it; what finished is kept",
} as const;
export type ExitCode = keyof typeof EXIT_CODES;

/** The error classes of the toolkit: CustomAiError and its subclasses, and lib/notebook's RunnerError. */
export type ErrorClassName =
  | "CustomAiError"
  | "StorageError"
  | "DataError"
  | "BackendError"
  | "TrainError"
  | "DistributedTrainingError"
  | "ModelError"
  | "OnnxExportError"
  | "ServeError"
  | "RequestError"
  | "ImageInputError"
  | "BatchScoringError"
  | "JobError"
  | "AzureError"
  | "KubernetesError"
  | "SparkError"
  | "RunnerError";

export interface ErrorCodeInfo {
  /** The classes that throw it. */
  readonly by: readonly ErrorClassName[];
  /** The `custom-ai` exit code when it ends a command. */
  readonly exit: ExitCode;
  /** What went wrong. */
  readonly meaning: string;
  /** What to do next: the CLI prints it when the error carries no hint of its own. */
  readonly todo: string;
}

export const ERROR_CODES = {
  // Caller's and configuration mistakes.
  BAD_OPTION: {
    by: ["CustomAiError", "DataError", "TrainError", "ServeError", "BatchScoringError", "JobError", "RunnerError", "StorageError", "ModelError", "OnnxExportError", "AzureError", "KubernetesError", "SparkError"],
    exit: 2,
    meaning: "An option, argument or parameter that cannot be used (the message names it and says why).",
    todo: "Fix the option or argument the message names, and run it again.",
  },
  BAD_CONFIG: {
    by: ["CustomAiError", "ServeError", "BatchScoringError", "JobError", "DistributedTrainingError", "AzureError"],
    exit: 1,
    meaning:
      "A setting read from the environment is missing or invalid: CUSTOM_AI_TARGET, AZURE_SUBSCRIPTION_ID, SCORING_API_KEY on azure, an Indexed Job's JOB_COMPLETION_INDEX / WORLD_SIZE, a batch or training worker's variables (CUSTOM_AI_BATCH_SIZE, CUSTOM_AI_TRAIN_CONFIG, ...).",
    todo: "Set the variable or field the message names, then run it again.",
  },
  // Storage (lib/core).
  BAD_STORAGE_URL: {
    by: ["StorageError"],
    exit: 2,
    meaning: "A storage location that is not a folder path, a file:// URL, an Azure Blob URL or an Azurite URL.",
    todo: "Give a folder path, or `https://<account>.blob.core.windows.net/<container>/<prefix>`.",
  },
  BAD_KEY: {
    by: ["StorageError"],
    exit: 2,
    meaning: 'An empty storage key, or one with an empty, "." or ".." segment.',
    todo: 'Name the object with a plain relative key, e.g. "runs/r1/result.json".',
  },
  STORAGE_AUTH: {
    by: ["StorageError"],
    exit: 1,
    meaning: "Blob Storage refused the credential (the message names the one tried).",
    todo: "Set AZURE_STORAGE_CONNECTION_STRING, or sign in (az login) as someone with Storage Blob Data Contributor on the container.",
  },
  STORAGE_UNREACHABLE: {
    by: ["StorageError"],
    exit: 1,
    meaning: "No answer from the storage endpoint.",
    todo: "Check the account name in the URL and the network (locally: that Azurite runs).",
  },
  STORAGE_FAILED: {
    by: ["StorageError"],
    exit: 1,
    meaning: "Any other failed storage request: the message has the service's or the file system's answer.",
    todo: "Fix what the answer names (permissions, space, a missing container), then run it again.",
  },
  AZURITE_START: {
    by: ["StorageError"],
    exit: 1,
    meaning: "The local Blob Storage emulator (Azurite) did not start.",
    todo: "Read its output in the message; free the port, or run `npm install` (azurite is a dependency).",
  },
  // Data (lib/data).
  BAD_SPEC: {
    by: ["DataError"],
    exit: 1,
    meaning: "A plot spec that vega-lite cannot compile or render.",
    todo: "Fix the spec as vega-lite's message (quoted) says.",
  },
  REMOTE_DATA: {
    by: ["DataError"],
    exit: 1,
    meaning: "A plot's data.url is remote: refused, never fetched.",
    todo: "Load the data first and pass it as data.values, or point data.url at a local file.",
  },
  DATA_LOAD: {
    by: ["DataError"],
    exit: 1,
    meaning: "A local data file (a shipped dataset, a plot's data) could not be read.",
    todo: "Check the path the message names; `npm install` restores the shipped datasets.",
  },
  // Training (lib/train).
  BAD_BACKEND: {
    by: ["BackendError"],
    exit: 2,
    meaning: "An unknown TensorFlow.js backend name (CUSTOM_AI_BACKEND, or an option).",
    todo: "Use one of the names the message lists.",
  },
  BACKEND_UNAVAILABLE: {
    by: ["BackendError"],
    exit: 1,
    meaning: "The TensorFlow.js backend asked for cannot run on this machine.",
    todo: "Install what the message names, or choose another backend (CUSTOM_AI_BACKEND).",
  },
  NOT_COMPILED: {
    by: ["TrainError"],
    exit: 1,
    meaning: "fitModel got a model that is not compiled.",
    todo: "Call model.compile({ optimizer, loss }) before training.",
  },
  NOT_TRAINABLE: {
    by: ["TrainError"],
    exit: 1,
    meaning: "No available backend has the gradient kernels this model needs.",
    todo: "Use a backend the message names (e.g. install tfjs-node), or change the layers it names.",
  },
  CHECKPOINT: {
    by: ["TrainError"],
    exit: 1,
    meaning: "A checkpoint folder that cannot be written or read.",
    todo: "Check the folder is writable and has space; for a damaged checkpoint, delete the folder to start over.",
  },
  CHECKPOINT_MISMATCH: {
    by: ["TrainError"],
    exit: 1,
    meaning: "The checkpoint is of another model (other layers or shapes).",
    todo: "Use another checkpointDir, or train without resume.",
  },
  ABORTED: {
    by: ["TrainError", "BatchScoringError", "RunnerError", "AzureError", "KubernetesError", "SparkError", "CustomAiError"],
    exit: 130,
    meaning: "Stopped by its user: Ctrl-C (SIGINT) or an AbortSignal. Not a failure of the work.",
    todo: "Run it again to go on: training resumes from its last checkpoint, batch scoring keeps its committed partitions, an executed notebook holds what ran.",
  },
  // Multi-node training (lib/train/distributed).
  UNKNOWN_DATASET: {
    by: ["DistributedTrainingError"],
    exit: 1,
    meaning: "A dataset name that is not registered.",
    todo: "Use one the message lists, or registerDataset(name, loader) in a module the worker loads (dataset.module).",
  },
  BARRIER_TIMEOUT: {
    by: ["DistributedTrainingError"],
    exit: 1,
    meaning: "Some ranks did not deliver an epoch's weights in time (the error names them and when each was last seen).",
    todo: "Read those ranks' logs; raise the barrier timeout if they are only slow.",
  },
  WORKER_FAILED: {
    by: ["DistributedTrainingError", "BatchScoringError"],
    exit: 1,
    meaning: "A worker process died or failed (the message names it).",
    todo: "Read that worker's output; run the job again: batch scoring keeps its committed partitions.",
  },
  RUN_EXISTS: {
    by: ["DistributedTrainingError"],
    exit: 1,
    meaning: "The run id already has a finished result.",
    todo: "Use a new run id (newRunId()), or delete the run's folder to redo it.",
  },
  SWEEP_INCOMPLETE: {
    by: ["DistributedTrainingError"],
    exit: 1,
    meaning: "A sweep has no, or not all, trial results.",
    todo: "Run or wait for the trials the message names.",
  },
  // Models (lib/models, lib/models/onnx).
  MODEL_NOT_FOUND: {
    by: ["ModelError", "ServeError", "BatchScoringError"],
    exit: 1,
    meaning: "No model at the location: model.json, model.onnx or metadata.json is missing.",
    todo: "Point at the folder or Blob prefix that saveModel and exportOnnx wrote.",
  },
  MODEL_INCOMPLETE: {
    by: ["ModelError"],
    exit: 1,
    meaning: "A weights file that model.json names is missing.",
    todo: "Copy the whole model folder, or save the model again.",
  },
  CORRUPT_MODEL: {
    by: ["ModelError"],
    exit: 1,
    meaning: "model.json is unreadable, or not a TensorFlow.js layers model.",
    todo: "Save the model again with saveModel.",
  },
  CORRUPT_WEIGHTS: {
    by: ["ModelError"],
    exit: 1,
    meaning: "Weights of the wrong size or checksum.",
    todo: "Copy the model folder again, or save the model again.",
  },
  CHECKSUM_MISMATCH: {
    by: ["ModelError", "BatchScoringError"],
    exit: 1,
    meaning: "A model file differs from the size and sha256 metadata.json records for it: changed or partly copied since the save, or a new save is under way.",
    todo: "Copy the whole model folder again, or save the model again.",
  },
  BAD_METADATA: {
    by: ["ModelError"],
    exit: 1,
    meaning: "metadata.json is missing, unreadable or invalid.",
    todo: "Save the model again with saveModel, which writes it.",
  },
  METADATA_MISMATCH: {
    by: ["ModelError"],
    exit: 1,
    meaning: "Metadata that does not fit the model, or what the caller expects of it.",
    todo: "Load the model the data was prepared for, or retrain and save it again.",
  },
  UNSUPPORTED_METADATA: {
    by: ["ModelError"],
    exit: 1,
    meaning: "metadata.json written by a newer version of the toolkit.",
    todo: "Update the toolkit, or save the model again with this one.",
  },
  UNSUPPORTED_LAYER: {
    by: ["OnnxExportError"],
    exit: 1,
    meaning: "A layer (or an input wiring) that ONNX export has no mapping for.",
    todo: "Use the layers the message lists, or keep serving that model with TensorFlow.js.",
  },
  UNSUPPORTED_OPTION: {
    by: ["OnnxExportError"],
    exit: 1,
    meaning: "A supported layer or export setting configured in a way ONNX export does not map (an activation, channelsFirst, a dtype, an opset).",
    todo: "Change the setting the message names.",
  },
  MODEL_NOT_BUILT: {
    by: ["OnnxExportError"],
    exit: 1,
    meaning: "A Sequential model without an input shape.",
    todo: "Give the first layer an inputShape, or build the model before exporting it.",
  },
  BAD_MODEL_BYTES: {
    by: ["OnnxExportError"],
    exit: 1,
    meaning: "onnxModelInfo got bytes that are not an ONNX model.",
    todo: "Pass the bytes of a .onnx file.",
  },
  // Scoring (lib/serve, lib/serve/image, lib/serve/batch).
  BAD_MODEL: {
    by: ["ServeError", "BatchScoringError"],
    exit: 1,
    meaning: "ONNX Runtime cannot load model.onnx, or it does not fit its metadata.json.",
    todo: "Export the model again with exportOnnx, beside saveModel's metadata.json.",
  },
  UNSUPPORTED_PREPROCESSING: {
    by: ["ServeError"],
    exit: 1,
    meaning: "metadata.json asks for a preprocessing step the scorer cannot apply.",
    todo: "Save the model with the steps the message lists, or update the toolkit.",
  },
  EXECUTION_PROVIDER: {
    by: ["ServeError", "BatchScoringError"],
    exit: 1,
    meaning: "The ONNX Runtime execution provider asked for (e.g. cuda) cannot run here; the message says what is missing.",
    todo: "Install what is missing (environments/README.md), or pass --execution-provider cpu (or auto).",
  },
  NON_FINITE_PREDICTION: {
    by: ["ServeError"],
    exit: 1,
    meaning: "The model's output for valid inputs is NaN or ±Infinity (answered 500, never sent as null).",
    todo: "Check the model (its weights, overflow on such inputs); retrain or export it again.",
  },
  START_FAILED: {
    by: ["ServeError"],
    exit: 1,
    meaning: "The scoring server did not start: it could not listen, or `custom-ai serve` exited or was not ready in time.",
    todo: "Read the output the message quotes; choose another --port or --host if the address is taken.",
  },
  BAD_REQUEST: {
    by: ["RequestError"],
    exit: 1,
    meaning: "A request the scoring server refuses with a 4xx (body, API key, route, method); the response's `error` says why.",
    todo: "Fix the request as the response says; GET /openapi.json describes every route.",
  },
  UNAVAILABLE: {
    by: ["RequestError"],
    exit: 1,
    meaning: "The scoring server cannot take the request now: 503, the model is loading or the queue is full.",
    todo: "Retry after the Retry-After header's seconds; add replicas if it lasts.",
  },
  BAD_IMAGE: {
    by: ["ImageInputError"],
    exit: 1,
    meaning: "An image that is not base64, not a PNG or JPEG, of the wrong size, or corrupt (`problem` says which).",
    todo: "Send a PNG or JPEG of the model's size. Batch scoring quarantines the image and scores the rest.",
  },
  NO_INPUT: {
    by: ["BatchScoringError"],
    exit: 1,
    meaning: "No input to score at --input: no CSV or Parquet partitions (tabular model) or no PNG / JPEG images (image model).",
    todo: "Point --input at the folder or Blob prefix that holds the files.",
  },
  CORRUPT_INPUT: {
    by: ["BatchScoringError"],
    exit: 1,
    meaning: "A partition a batch worker cannot read: a row with the wrong number of cells, a cell that is not a number, an unreadable Parquet file.",
    todo: "Nothing at once: the partition is quarantined (quarantine/ and its .reason.json) and the rest scored; fix the file and run the job again.",
  },
  BAD_OUTPUT: {
    by: ["BatchScoringError"],
    exit: 1,
    meaning: "readBatchResults found a committed partition whose results file is missing or not the file the worker wrote (header, cell count or row count).",
    todo: "Delete that partition's commit marker (_commits/<name>.json) and run the job again: it rescores the partition.",
  },
  // Azure provisioning (lib/azure).
  AZURE_NO_CREDENTIAL: {
    by: ["AzureError"],
    exit: 1,
    meaning: "No Azure credential worked: DefaultAzureCredential tried environment variables, workload identity, managed identity, Visual Studio Code, the Azure CLI, Azure PowerShell and the Azure Developer CLI (the message lists what each said).",
    todo: "Log in with `az login` (then `az account set -s <subscription>`), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or run on a VM with a managed identity.",
  },
  AZURE_QUOTA: {
    by: ["AzureError"],
    exit: 1,
    meaning: "The subscription's vCPU quota for the size's family (or the regional total, or spot vCPUs) in the region is too small for what would be created.",
    todo: "Request more quota (Azure portal → Quotas → Compute, the link in the message), or choose a smaller size, another region, or fewer nodes.",
  },
  AZURE_SIZE_UNAVAILABLE: {
    by: ["AzureError"],
    exit: 1,
    meaning: "The VM size is not offered to this subscription in the region (unknown there, or restricted).",
    todo: "Choose one of the sizes the message lists, or another region (AZURE_LOCATION).",
  },
  AZURE_FORBIDDEN: {
    by: ["AzureError"],
    exit: 1,
    meaning: "The signed-in identity is not allowed to do an operation (the message names the action, the scope and the role that grants it).",
    todo: "Ask a subscription Owner to grant the role the message names at that scope (Contributor to create resources; Owner or User Access Administrator to grant AcrPull), then run it again.",
  },
  AZURE_THROTTLED: {
    by: ["AzureError"],
    exit: 1,
    meaning: "Azure Resource Manager kept answering 429 Too Many Requests after the retries, each waiting the Retry-After the service sent.",
    todo: "Wait a few minutes and run it again: apply is idempotent and goes on where it stopped.",
  },
  AZURE_OPERATION_FAILED: {
    by: ["AzureError"],
    exit: 1,
    meaning: "A long-running Azure operation ended in Failed or Canceled (the message gives Azure's error code and message).",
    todo: "Fix what Azure's message says, then run apply again: it is idempotent. `custom-ai azure status` shows what exists.",
  },
  AZURE_REQUEST_FAILED: {
    by: ["AzureError"],
    exit: 1,
    meaning: "Azure Resource Manager refused a request for another reason (the message gives the HTTP status, Azure's error code and message).",
    todo: "Read Azure's message; fix the option or the resource it names, then run it again.",
  },
  // Kubernetes (lib/k8s: deploy, rollouts, jobs).
  NO_KUBECONFIG: {
    by: ["KubernetesError"],
    exit: 2,
    meaning: "No kubeconfig: none at --kubeconfig, in $KUBECONFIG or at ~/.kube/config (or it has no current context).",
    todo: "Pass --kubeconfig <file> (AKS: `az aks get-credentials`), or build and start the local control plane (environments/k8s-local/README.md).",
  },
  K8S_UNREACHABLE: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "No answer from the Kubernetes API server the kubeconfig names.",
    todo: "Check the cluster is running and the kubeconfig's server address (`kubectl cluster-info`).",
  },
  K8S_FORBIDDEN: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "The API server refused the credential (401), or RBAC lacks a verb on a resource (403: the message names both).",
    todo: "Grant the verb on the resource (README \"Deploy to Kubernetes\" lists the toolkit's; `custom-ai deploy rbac` makes that Role), or renew the credential.",
  },
  K8S_CONFLICT: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "Server-side apply conflict: another field manager owns fields this apply would change (the message names the manager and the fields).",
    todo: "Run it again with --force to take the fields over, or leave them to their owner (e.g. remove them from what the other tool applies).",
  },
  K8S_REJECTED: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "The API server refused an object: invalid, a field that cannot change (a Job's pod template), or a namespace that does not exist.",
    todo: "Fix what the server's answer (quoted) names; a Job cannot change once created: `custom-ai undeploy` it first, or give another --name.",
  },
  ROLLOUT_FAILED: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "A Deployment's rollout failed: pods that cannot pull their image, crash, or do not become ready before the progress deadline.",
    todo: "Read the failing pod's events and last log lines in the message; fix the image or the configuration and deploy again.",
  },
  JOB_FAILED: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "A Kubernetes Job failed: indexes failed past their retries (backoffLimitPerIndex), or a pod exited with a bad-input code (FailIndex).",
    todo: "Read the failed indexes and the pod's events and logs in the message; fix the input or configuration, then deploy again (a batch job resumes).",
  },
  K8S_TIMEOUT: {
    by: ["KubernetesError"],
    exit: 1,
    meaning: "A rollout or Job was still under way when --timeout ran out (nothing failed yet).",
    todo: "Raise --timeout, or look at it with `kubectl get pods -l app.kubernetes.io/instance=<name>`.",
  },
  // The local Kubernetes control plane (lib/k8s/local, environments/k8s-local).
  K8S_LOCAL_BUILD: {
    by: ["CustomAiError"],
    exit: 1,
    meaning: "The local Kubernetes control plane could not be built: no Go (1.26 or newer) on the PATH, the Go module proxy unreachable, or `go build` failed (the message quotes its output).",
    todo: "Install Go 1.26+ (https://go.dev/dl, or set GO to its binary) and make the Go module proxy reachable, then run `npm run k8s:local -- build`.",
  },
  K8S_LOCAL_START: {
    by: ["CustomAiError"],
    exit: 1,
    meaning: "The local Kubernetes control plane did not start or stop: binaries not built, a cluster of that name already running, or kwokctl failed (the message quotes its output).",
    todo: "Run `npm run k8s:local -- build`, then `npm run k8s:local -- status` (and `stop`); see environments/k8s-local/README.md.",
  },
  // Spark (lib/spark: spark-submit, Livy batches).
  SPARK_UNAVAILABLE: {
    by: ["SparkError"],
    exit: 1,
    meaning: "No Spark to submit to: the project's Python environment lacks pyspark's spark-submit, or no Java is on the PATH (or JAVA_HOME).",
    todo: "Run `node bin/python-env.mjs` (it installs pyspark), and install Java 17 (`apt-get install openjdk-17-jre-headless`).",
  },
  SPARK_JOB_FAILED: {
    by: ["SparkError"],
    exit: 1,
    meaning: "A Spark job ended with a non-zero exit code, or its Livy batch ended dead or killed (the message quotes the driver log's last lines).",
    todo: "Read the driver log's tail in the message: a Python traceback names the cause; fix the input or the job's arguments and submit again.",
  },
  LIVY_REQUEST_FAILED: {
    by: ["SparkError"],
    exit: 1,
    meaning: "A Livy endpoint (Synapse Spark pool, HDInsight) refused or failed a request (the message gives the HTTP status and the answer), or did not answer.",
    todo: "Check the endpoint URL and the credential (Synapse: a token for https://dev.azuresynapse.net; HDInsight: the cluster login), then submit again.",
  },
  // Notebook runner (lib/notebook: RunnerError; its codes are also declared in lib/notebook/errors.ts).
  BAD_NOTEBOOK: {
    by: ["RunnerError"],
    exit: 2,
    meaning: "A notebook file that cannot be read, or is not a valid Jupyter notebook.",
    todo: "Open it in JupyterLab or fix its JSON; nothing was run.",
  },
  UNKNOWN_KERNEL: {
    by: ["RunnerError"],
    exit: 3,
    meaning: "No installed kernelspec of the notebook's (or --kernel's) name.",
    todo: "Install the kernel, or pass --kernel with one the message lists.",
  },
  KERNEL_START: {
    by: ["RunnerError"],
    exit: 3,
    meaning: "The kernel did not start, or did not answer in time.",
    todo: "Read the kernel's output in the message; raise --startup-timeout on a slow machine.",
  },
  KERNEL_DIED: {
    by: ["RunnerError"],
    exit: 3,
    meaning: "The kernel process exited while a cell ran (not stopped by its user: that is ABORTED).",
    todo: "Look at the cell named: a crash, running out of memory, or process.exit in it.",
  },
  CELL_ERROR: {
    by: ["RunnerError"],
    exit: 1,
    meaning: "A cell failed.",
    todo: "Fix the cell named in the summary; the executed notebook shows its error.",
  },
  OUTPUT_INCOMPLETE: {
    by: ["RunnerError"],
    exit: 1,
    meaning: "A cell ran, but the kernel never confirmed the end of its output: some may be missing.",
    todo: "Print less (write large output to a file), or raise --output-grace on a slow machine.",
  },
  TIMEOUT: {
    by: ["RunnerError"],
    exit: 1,
    meaning: "A cell or the notebook ran out of time (--cell-timeout, --timeout).",
    todo: "Raise the limit, or make the cell faster.",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every error code of the toolkit. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes the table lists for one error class, e.g. `ErrorCodesOf<"ServeError">`. */
export type ErrorCodesOf<C extends ErrorClassName> = {
  [K in ErrorCode]: C extends (typeof ERROR_CODES)[K]["by"][number] ? K : never;
}[ErrorCode];

/** True for a code the table lists. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** The `custom-ai` exit code for an error code: the table's, else 1. */
export function exitCodeOf(code: string): ExitCode {
  return isErrorCode(code) ? ERROR_CODES[code].exit : 1;
}
