import { readFileSync } from "node:fs";
import { JOB_ENV, JobError, readJobEnv, TRAIN_WORKER_ENV } from "../../jobs/index.js";
import { DistributedTrainingError } from "./errors.js";

/** The MLP each worker builds (binary classification: one sigmoid output). */
export interface ModelSpec {
  /** Units of each hidden layer. */
  hidden: number[];
  activation: "relu" | "tanh" | "elu" | "sigmoid";
}

export interface HyperParams {
  /** Synchronisation rounds: each trains the rank's shard once (or stepsPerEpoch batches), then averages. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "adam" | "sgd";
  /** Train only this many batches per round instead of a whole pass over the shard ("K steps"). */
  stepsPerEpoch?: number;
}

export interface DatasetSpec {
  /** A name in the dataset registry (registerDataset); built in: "synthetic-binary". */
  name: string;
  /** Options for the loader, e.g. { samples: 2000, features: 8, seed: 7 }. */
  options?: Record<string, unknown>;
  /** A module for the worker to import first, that registers the dataset (path from the working directory). */
  module?: string;
  /** Share of rows held out for the final accuracy. Default 0.2. */
  testFraction?: number;
  /** Share of the remaining rows held out to compare sweep trials. Default 0.2 in a sweep, else 0. */
  validationFraction?: number;
}

/** A grid of hyperparameters: each key lists the values to try. Keys: those of HyperParams and ModelSpec. */
export type SweepGrid = Record<string, readonly unknown[]>;

/** What a training run trains: the part of the configuration shared by all its workers. */
export interface TrainSpec {
  dataset: DatasetSpec;
  model: ModelSpec;
  hyper: HyperParams;
  /** Seeds data generation, splits, shuffles and the initial weights (the same on every rank). */
  seed: number;
  /** Sweep mode: the grid, one configuration per index. */
  grid?: SweepGrid;
}

/** A test hook: make a rank die or stall (CUSTOM_AI_FAULT holds one, or a list for several ranks). */
export interface FaultSpec {
  rank: number;
  /** "exit": the process exits (code 3) without a word, as a crashed or killed pod; "delay": it stalls. */
  kind: "exit" | "delay";
  /** The epoch it strikes at the start of (-1: before the worker even writes its first heartbeat). Default 0. */
  epoch?: number;
  /** For "delay". */
  delayMs?: number;
}

export interface WorkerConfig extends TrainSpec {
  mode: "data-parallel" | "sweep";
  runId: string;
  /** This worker's index: JOB_COMPLETION_INDEX in a Kubernetes Indexed Job. */
  rank: number;
  /** Number of workers: the Indexed Job's completions. */
  worldSize: number;
  /** Root of the run's storage (file path/URL, Azure Blob or Azurite URL). */
  storeUrl: string;
  /** Longest wait at a barrier for the other ranks. Default 10 min. */
  barrierTimeoutMs: number;
  /** How often the barrier looks at the store. Default 250 ms. */
  pollMs: number;
  /** How often each rank refreshes its heartbeat. Default 2 s. */
  heartbeatMs: number;
  fault?: FaultSpec | FaultSpec[];
}

/**
 * Environment variables a training worker reads besides the job's own (JOB_ENV): defined in lib/jobs
 * (TRAIN_WORKER_ENV), beside the job contract the Kubernetes Job shares.
 */
export const WORKER_ENV = TRAIN_WORKER_ENV;

export const DEFAULT_TRAIN_SPEC: TrainSpec = {
  dataset: { name: "synthetic-binary", options: { samples: 2000, features: 8 } },
  model: { hidden: [16], activation: "relu" },
  hyper: { epochs: 10, batchSize: 32, learningRate: 0.01, optimizer: "adam" },
  seed: 42,
};

const HYPER_KEYS = ["epochs", "batchSize", "learningRate", "optimizer", "stepsPerEpoch"] as const;
const MODEL_KEYS = ["hidden", "activation"] as const;
/** The keys a sweep grid may vary. */
export const SWEEP_KEYS: readonly string[] = [...HYPER_KEYS, ...MODEL_KEYS];

/** What the JSON configuration (CUSTOM_AI_TRAIN_CONFIG) may hold: any part of a WorkerConfig. */
export type WorkerConfigInput = Partial<Omit<WorkerConfig, "dataset" | "model" | "hyper">> & {
  dataset?: Partial<DatasetSpec>;
  model?: Partial<ModelSpec>;
  hyper?: Partial<HyperParams>;
};

/**
 * Reads a worker's configuration: rank from JOB_COMPLETION_INDEX, world size from WORLD_SIZE (readJobEnv),
 * run id and store URL from CUSTOM_AI_RUN_ID / CUSTOM_AI_STORE_URL, everything else from the JSON
 * in CUSTOM_AI_TRAIN_CONFIG (or the file CUSTOM_AI_TRAIN_CONFIG_FILE), over the defaults.
 * Variables win over the JSON. Throws DistributedTrainingError BAD_CONFIG naming the variable.
 */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  let json: WorkerConfigInput = {};
  const file = env[WORKER_ENV.configFile]?.trim();
  const inline = env[WORKER_ENV.config]?.trim();
  if (file) json = parseJson(readConfigFile(file), `the file ${file} (${WORKER_ENV.configFile})`);
  if (inline) json = { ...json, ...parseJson(inline, WORKER_ENV.config) };
  const fault = env[WORKER_ENV.fault]?.trim();
  const input: WorkerConfigInput = { ...json };
  if (fault) input.fault = parseFault(fault);
  const fromEnv = (name: string) => env[name]?.trim() || undefined;
  try {
    const job = readJobEnv(env, { defaults: { rank: json.rank, worldSize: json.worldSize ?? 1 } });
    input.rank = job.rank;
    input.worldSize = job.worldSize;
  } catch (error) {
    if (!(error instanceof JobError)) throw error;
    const why = error.message.charAt(0).toLowerCase() + error.message.slice(1);
    throw new DistributedTrainingError("BAD_CONFIG", `Worker configuration: ${why}`, { hint: error.hint, cause: error });
  }
  const runId = fromEnv(WORKER_ENV.runId);
  if (runId !== undefined) input.runId = runId;
  const storeUrl = fromEnv(WORKER_ENV.storeUrl);
  if (storeUrl !== undefined) input.storeUrl = storeUrl;
  return resolveWorkerConfig(input);
}

/** Fills in defaults and checks a configuration. Throws BAD_CONFIG. */
export function resolveWorkerConfig(input: WorkerConfigInput): WorkerConfig {
  const mode = input.mode ?? (input.grid ? "sweep" : "data-parallel");
  const config: WorkerConfig = {
    mode,
    runId: input.runId ?? "",
    rank: input.rank ?? Number.NaN,
    worldSize: input.worldSize ?? 1,
    storeUrl: input.storeUrl ?? "",
    dataset: { ...DEFAULT_TRAIN_SPEC.dataset, ...input.dataset },
    model: { ...DEFAULT_TRAIN_SPEC.model, ...input.model },
    hyper: { ...DEFAULT_TRAIN_SPEC.hyper, ...input.hyper },
    seed: input.seed ?? DEFAULT_TRAIN_SPEC.seed,
    barrierTimeoutMs: input.barrierTimeoutMs ?? 600_000,
    pollMs: input.pollMs ?? 250,
    heartbeatMs: input.heartbeatMs ?? 2_000,
  };
  if (input.dataset && !input.dataset.name) config.dataset.name = DEFAULT_TRAIN_SPEC.dataset.name;
  if (input.grid) config.grid = input.grid;
  if (input.fault) config.fault = input.fault;
  if (mode !== "data-parallel" && mode !== "sweep") bad(`mode must be "data-parallel" or "sweep", not "${mode}"`);
  if (!config.runId) bad(`the run id is missing: set ${WORKER_ENV.runId}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(config.runId)) bad(`run id "${config.runId}" must be letters, digits, ".", "_" or "-"`);
  if (!config.storeUrl) bad(`the store URL is missing: set ${WORKER_ENV.storeUrl} (a folder, or an Azure Blob / Azurite URL)`);
  if (!Number.isInteger(config.worldSize) || config.worldSize < 1) bad(`${JOB_ENV.worldSize} must be a whole number ≥ 1`);
  if (!Number.isInteger(config.rank)) bad(`the rank is missing: set ${JOB_ENV.rank} (Kubernetes sets it in an Indexed Job)`);
  if (config.rank < 0 || config.rank >= config.worldSize) bad(`rank ${config.rank} is outside 0..${config.worldSize - 1} (${JOB_ENV.worldSize}=${config.worldSize})`);
  checkHyper(config.hyper, "hyper");
  checkModel(config.model, "model");
  checkFractions(config.dataset);
  for (const [key, value] of [["barrierTimeoutMs", config.barrierTimeoutMs], ["pollMs", config.pollMs], ["heartbeatMs", config.heartbeatMs]] as const) {
    if (!(typeof value === "number" && value > 0)) bad(`${key} must be a positive number of milliseconds`);
  }
  if (mode === "sweep") {
    if (!config.grid) bad("sweep mode needs a grid");
    const size = checkGrid(config.grid!);
    if (config.worldSize !== size) bad(`the grid has ${size} configurations, so ${JOB_ENV.worldSize} (the Job's completions) must be ${size}, not ${config.worldSize}`);
  }
  return config;
}

/** Checks a grid and returns its number of configurations. */
export function checkGrid(grid: SweepGrid): number {
  const keys = Object.keys(grid ?? {});
  if (keys.length === 0) bad("the sweep grid is empty: give at least one key with values, e.g. { learningRate: [0.001, 0.01] }");
  let size = 1;
  for (const key of keys) {
    if (!SWEEP_KEYS.includes(key)) bad(`the sweep grid key "${key}" is not a hyperparameter; use ${SWEEP_KEYS.join(", ")}`);
    const values = grid[key];
    if (!Array.isArray(values) || values.length === 0) bad(`the sweep grid key "${key}" needs a non-empty list of values`);
    size *= values.length;
  }
  return size;
}

/** Splits one grid point into model and hyperparameter overrides. */
export function applySweepConfig(spec: TrainSpec, point: Record<string, unknown>): TrainSpec {
  const hyper: HyperParams = { ...spec.hyper };
  const model: ModelSpec = { ...spec.model };
  for (const [key, value] of Object.entries(point)) {
    if ((HYPER_KEYS as readonly string[]).includes(key)) (hyper as unknown as Record<string, unknown>)[key] = value;
    else if ((MODEL_KEYS as readonly string[]).includes(key)) (model as unknown as Record<string, unknown>)[key] = value;
    else bad(`the sweep grid key "${key}" is not a hyperparameter; use ${SWEEP_KEYS.join(", ")}`);
  }
  checkHyper(hyper, `sweep configuration ${JSON.stringify(point)}`);
  checkModel(model, `sweep configuration ${JSON.stringify(point)}`);
  return { ...spec, hyper, model };
}

export interface WorkerEnvOptions {
  runId: string;
  storeUrl: string;
  worldSize: number;
  /** For Azurite or an account key: becomes AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** Everything else (dataset, model, hyper, grid, seed, timeouts), as CUSTOM_AI_TRAIN_CONFIG. */
  config?: WorkerConfigInput;
  fault?: FaultSpec | FaultSpec[];
  /** A tfjs backend rung to force (CUSTOM_AI_BACKEND). */
  backend?: string;
}

/**
 * The environment of a worker, without its rank (JOB_COMPLETION_INDEX, which Kubernetes and
 * runLocalJob set per worker): the same variables for local processes and for the Job's pods.
 * Includes WORLD_SIZE, which the configuration (a sweep's grid) is checked against.
 */
export function workerEnv(options: WorkerEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    [WORKER_ENV.runId]: options.runId,
    [WORKER_ENV.storeUrl]: options.storeUrl,
    [JOB_ENV.worldSize]: String(options.worldSize),
  };
  if (options.config) {
    const { rank: _rank, runId: _runId, storeUrl: _storeUrl, worldSize: _world, fault: _fault, ...rest } = options.config;
    env[WORKER_ENV.config] = JSON.stringify(rest);
  }
  if (options.connectionString) env[WORKER_ENV.connectionString] = options.connectionString;
  if (options.fault) env[WORKER_ENV.fault] = JSON.stringify(options.fault);
  if (options.backend) env[WORKER_ENV.backend] = options.backend;
  return env;
}

/** A fresh run id: `<prefix>-<yyyymmdd-hhmmss>-<4 hex>`. */
export function newRunId(prefix = "run"): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${prefix}-${stamp}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0")}`;
}

function checkHyper(h: HyperParams, where: string): void {
  if (!(Number.isInteger(h.epochs) && h.epochs >= 1)) bad(`${where}.epochs must be a whole number ≥ 1`);
  if (!(Number.isInteger(h.batchSize) && h.batchSize >= 1)) bad(`${where}.batchSize must be a whole number ≥ 1`);
  if (!(typeof h.learningRate === "number" && h.learningRate > 0)) bad(`${where}.learningRate must be a positive number`);
  if (h.optimizer !== "adam" && h.optimizer !== "sgd") bad(`${where}.optimizer must be "adam" or "sgd"`);
  if (h.stepsPerEpoch !== undefined && !(Number.isInteger(h.stepsPerEpoch) && h.stepsPerEpoch >= 1)) bad(`${where}.stepsPerEpoch must be a whole number ≥ 1`);
}

function checkModel(m: ModelSpec, where: string): void {
  if (!Array.isArray(m.hidden) || !m.hidden.every((u) => Number.isInteger(u) && u >= 1)) bad(`${where}.hidden must be a list of layer sizes, e.g. [16, 8]`);
  if (!["relu", "tanh", "elu", "sigmoid"].includes(m.activation)) bad(`${where}.activation must be relu, tanh, elu or sigmoid`);
}

function checkFractions(d: DatasetSpec): void {
  if (d.testFraction !== undefined && !(d.testFraction > 0 && d.testFraction < 1)) bad("dataset.testFraction must be between 0 and 1 (exclusive), e.g. 0.2");
  if (d.validationFraction !== undefined && !(d.validationFraction >= 0 && d.validationFraction < 1)) bad("dataset.validationFraction must be at least 0 and below 1, e.g. 0.2");
}

function parseJson(text: string, source: string): WorkerConfigInput {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
    return value as WorkerConfigInput;
  } catch (error) {
    return bad(`${source} is not a JSON object (${(error as Error).message})`);
  }
}

function parseFault(text: string): FaultSpec | FaultSpec[] {
  try {
    const value = JSON.parse(text) as FaultSpec | FaultSpec[];
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((f) => typeof f === "object" && f !== null && Number.isInteger(f.rank) && (f.kind === "exit" || f.kind === "delay"))) {
      throw new Error('each fault needs a rank and kind "exit" or "delay"');
    }
    return value;
  } catch (error) {
    return bad(`${WORKER_ENV.fault} is not a fault (${(error as Error).message})`);
  }
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    return bad(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function bad(why: string): never {
  throw new DistributedTrainingError("BAD_CONFIG", `Worker configuration: ${why}.`);
}
