# The real-time scoring server on the CPU: `custom-ai serve` (ENTRYPOINTS.serve in
# lib/jobs/entrypoints.ts, the command the local target runs), ONNX Runtime's CPU provider.
# Build from the repository root: node environments/docker/build.mjs scoring-cpu
# Read-only root filesystem: the server writes only under $TMPDIR (/tmp: mount an emptyDir or a
# tmpfs there). The model: baked in (--build-arg MODEL_DIR=<folder in the build context>, copied
# to /app/model, the default --model) or read from Blob Storage at start (--model <blob URL>).

# --- production dependencies, pruned to what `custom-ai serve` loads ---
FROM node:24.22.3-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY environments/docker/images.mjs environments/docker/prune-node-modules.mjs environments/docker/
# No install scripts: onnxruntime-node's would download CUDA, tfjs-node's libtensorflow. The native
# packages this image loads (onnxruntime-node, zeromq, esbuild) ship their Linux x64 binaries.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node environments/docker/prune-node-modules.mjs scoring-cpu

# --- the image ---
FROM node:24.22.3-trixie-slim
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/custom-ai-on-azure/custom-ai-on-azure
LABEL org.opencontainers.image.title="custom-ai/scoring-cpu" \
      org.opencontainers.image.description="Custom AI on Azure: real-time scoring server (ONNX Runtime, CPU)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin/custom-ai.mjs bin/prebuilt.mjs bin/run-ts.mjs ./bin/
# What `custom-ai serve` loads: no lib/train, lib/data or TensorFlow.js.
COPY lib/cli ./lib/cli
COPY lib/core ./lib/core
COPY lib/jobs ./lib/jobs
COPY lib/models ./lib/models
COPY lib/notebook ./lib/notebook
COPY lib/serve ./lib/serve
# The entrypoint pre-built to JavaScript (bin/prebuilt.mjs, into .cache/js): it starts without
# tsx's loader. Stamped with these files as copied, so it is fresh on the read-only filesystem.
RUN node bin/prebuilt.mjs lib/cli/main.ts
ARG MODEL_DIR=environments/docker/no-model
COPY ${MODEL_DIR} ./model/
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/custom-ai.mjs", "serve"]
CMD ["--model", "/app/model", "--host", "0.0.0.0", "--port", "8080"]
