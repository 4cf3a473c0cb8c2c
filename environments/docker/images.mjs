// The container images of the toolkit: one Dockerfile each, beside this file, built from the
// repository root. Read by build.mjs (what to build, and the image names), by
// prune-node-modules.mjs inside the builds (which npm packages an image keeps), and by
// test/environments/docker.test.ts (which holds each image to its entrypoint and packages).

/** The repository every image name starts with: `<registry>/custom-ai/<image>:<version>`. */
export const IMAGE_NAMESPACE = "custom-ai";

// The npm packages each entrypoint loads (dependency-cruiser finds them from the entrypoint; the
// test checks that these lists are exactly those), plus those loaded by a computed name
// (`byName`). bin/prebuilt.mjs loads esbuild (and tsx) only when the image's pre-built entrypoint
// is stale or unusable. Everything they depend on is kept too (the package-lock's graph); every other
// top-level package is removed.
const SCORING_PACKAGES = [
  "@azure/identity", "@azure/storage-blob", "@jsquash/jpeg", "commander", "fastify", "get-port", "hyparquet", "hysnappy", "jpeg-js",
  "esbuild", "onnxruntime-node", "pngjs", "prom-client", "tsx",
];
const BATCH_PACKAGES = ["@azure/identity", "@azure/storage-blob", "@jsquash/jpeg", "esbuild", "get-port", "hyparquet", "hysnappy", "jpeg-js", "onnxruntime-node", "pngjs", "tsx"];
// The backend ladder loads these by a computed name (lib/train/backends.ts). The native
// tfjs-node(-gpu) packages are left out: without their install script (which downloads
// libtensorflow) they cannot load.
const TRAIN_BY_NAME = ["@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-webgpu"];
const TRAIN_PACKAGES = [
  "@azure/identity", "@azure/storage-blob", "@tensorflow/tfjs", "danfojs-node", "esbuild", "get-port", "mnist", "onnx-proto",
  "pngjs", "tslab", "tsx", "vega", "vega-lite", "webgpu",
  ...TRAIN_BY_NAME,
];

/**
 * @typedef {object} ImageSpec
 * @property {string} dockerfile  file name in environments/docker/
 * @property {"serve" | "batchWorker" | "trainWorker"} entrypoint  key of ENTRYPOINTS (lib/jobs/entrypoints.ts)
 * @property {string[]} packages  npm packages the image keeps (with their dependencies)
 * @property {string[]} [byName]  those of `packages` its code loads by a computed name
 * @property {string} description
 */

/** @type {Readonly<Record<string, ImageSpec>>} */
export const IMAGES = {
  "scoring-cpu": { dockerfile: "scoring-cpu.Dockerfile", entrypoint: "serve", packages: SCORING_PACKAGES, description: "real-time scoring server, ONNX Runtime on the CPU" },
  "scoring-gpu": { dockerfile: "scoring-gpu.Dockerfile", entrypoint: "serve", packages: SCORING_PACKAGES, description: "real-time scoring server, ONNX Runtime's CUDA provider (CUDA 13, cuDNN 9)" },
  "batch-scorer": { dockerfile: "batch-scorer.Dockerfile", entrypoint: "batchWorker", packages: BATCH_PACKAGES, description: "one batch-scoring worker of an Indexed Job" },
  "train-worker": { dockerfile: "train-worker.Dockerfile", entrypoint: "trainWorker", packages: TRAIN_PACKAGES, byName: TRAIN_BY_NAME, description: "one training worker of an Indexed Job" },
};
