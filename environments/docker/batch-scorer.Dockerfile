# One batch-scoring worker of a Kubernetes Indexed Job: ENTRYPOINTS.batchWorker in
# lib/jobs/entrypoints.ts (the command runBatchScoring's local workers run), ONNX Runtime on the CPU.
# Configured by environment: JOB_COMPLETION_INDEX (Kubernetes), WORLD_SIZE, CUSTOM_AI_BATCH_INPUT,
# CUSTOM_AI_BATCH_OUTPUT, CUSTOM_AI_BATCH_MODEL (default /app/model, the baked-in model; a Blob
# URL reads it at start) and AZURE_STORAGE_CONNECTION_STRING or a workload identity.
# Build from the repository root: node environments/docker/build.mjs batch-scorer
# Read-only root filesystem: it writes only under $TMPDIR (/tmp: mount an emptyDir there) and to
# its output (Blob Storage, or a mounted volume).

# --- production dependencies, pruned to what the worker loads ---
FROM node:24.22.3-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY environments/docker/images.mjs environments/docker/prune-node-modules.mjs environments/docker/
# No install scripts (onnxruntime-node's would download CUDA): see scoring-cpu.Dockerfile.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node environments/docker/prune-node-modules.mjs batch-scorer

# --- the image ---
FROM node:24.22.3-trixie-slim
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/custom-ai-on-azure/custom-ai-on-azure
LABEL org.opencontainers.image.title="custom-ai/batch-scorer" \
      org.opencontainers.image.description="Custom AI on Azure: batch-scoring worker of an Indexed Job (ONNX Runtime, CPU)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    CUSTOM_AI_BATCH_MODEL=/app/model
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin/prebuilt.mjs bin/run-ts.mjs ./bin/
COPY lib/core ./lib/core
COPY lib/jobs ./lib/jobs
COPY lib/models ./lib/models
COPY lib/serve ./lib/serve
# The entrypoint pre-built to JavaScript (bin/prebuilt.mjs, into .cache/js): it starts without
# tsx's loader. Stamped with these files as copied, so it is fresh on the read-only filesystem.
RUN node bin/prebuilt.mjs lib/serve/batch/worker-main.ts
ARG MODEL_DIR=environments/docker/no-model
COPY ${MODEL_DIR} ./model/
USER 1000:1000
ENTRYPOINT ["node", "bin/run-ts.mjs", "lib/serve/batch/worker-main.ts"]
