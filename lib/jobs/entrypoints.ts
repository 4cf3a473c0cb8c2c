// The commands the containers run, which are the commands the local target runs: the scoring
// server (lib/serve/process.ts spawns it), and the two Indexed Job workers (runLocalJob spawns
// them). Paths are relative to the project root, which is the image's WORKDIR (/app).
// environments/docker/ sets these as ENTRYPOINT and lib/k8s as the containers' command; tests
// hold all three to this table.

/** The image's working directory: the project root, as in a checkout. */
export const CONTAINER_WORKDIR = "/app";

export const ENTRYPOINTS = {
  /** `custom-ai serve`: the real-time scoring server (args: --model, --port, …). */
  serve: ["node", "bin/custom-ai.mjs", "serve"],
  /** One batch-scoring worker of an Indexed Job (configured by environment). */
  batchWorker: ["node", "bin/run-ts.mjs", "lib/serve/batch/worker-main.ts"],
  /** One training worker of an Indexed Job (configured by environment). */
  trainWorker: ["node", "bin/run-ts.mjs", "lib/train/distributed/worker-main.ts"],
} as const satisfies Record<string, readonly string[]>;

export type EntrypointName = keyof typeof ENTRYPOINTS;
