# One training worker of a Kubernetes Indexed Job: ENTRYPOINTS.trainWorker in
# lib/jobs/entrypoints.ts (the command runLocalJob's training workers run).
# Configured by environment: JOB_COMPLETION_INDEX (Kubernetes), WORLD_SIZE, CUSTOM_AI_RUN_ID,
# CUSTOM_AI_STORE_URL (Blob Storage, or file:// on a mounted volume), CUSTOM_AI_TRAIN_CONFIG or
# CUSTOM_AI_TRAIN_CONFIG_FILE, optional CUSTOM_AI_BACKEND.
# The backend: the ladder of lib/train/backends.ts without the native rungs (tfjs-node needs
# libtensorflow, which its install script downloads from outside the package registries): wasm,
# or the pure-JS cpu backend for a CNN; webgpu where the pod gets a GPU with a Vulkan driver.
# Build from the repository root: node environments/docker/build.mjs train-worker
# Read-only root filesystem: it writes only under $TMPDIR (/tmp: mount an emptyDir there) and to
# CUSTOM_AI_STORE_URL.

# --- production dependencies, pruned to what the worker loads ---
FROM node:24.22.3-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY environments/docker/images.mjs environments/docker/prune-node-modules.mjs environments/docker/
# No install scripts: tfjs-node's would download libtensorflow, onnxruntime-node's CUDA.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node environments/docker/prune-node-modules.mjs train-worker

# --- the image ---
FROM node:24.22.3-trixie-slim
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/custom-ai-on-azure/custom-ai-on-azure
LABEL org.opencontainers.image.title="custom-ai/train-worker" \
      org.opencontainers.image.description="Custom AI on Azure: training worker of an Indexed Job (TensorFlow.js)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin/prebuilt.mjs bin/run-ts.mjs ./bin/
COPY lib/core ./lib/core
COPY lib/data ./lib/data
COPY lib/jobs ./lib/jobs
COPY lib/models ./lib/models
COPY lib/train ./lib/train
# The entrypoint pre-built to JavaScript (bin/prebuilt.mjs, into .cache/js): it starts without
# tsx's loader. Stamped with these files as copied, so it is fresh on the read-only filesystem.
RUN node bin/prebuilt.mjs lib/train/distributed/worker-main.ts
USER 1000:1000
ENTRYPOINT ["node", "bin/run-ts.mjs", "lib/train/distributed/worker-main.ts"]
