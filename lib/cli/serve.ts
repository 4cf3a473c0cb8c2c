// `custom-ai serve`: the real-time scoring server on the command line.
import { Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../core/config.js";
import { executionProviderOption } from "./execution-provider-option.js";

const wholeNumber = (flag: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} takes a whole number ≥ ${min}.`);
  return n;
};
const milliseconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("--max-wait-ms takes a number of milliseconds ≥ 0.");
  return n;
};

/**
 * Serves a model until SIGTERM or SIGINT, then stops accepting connections, lets the requests in
 * flight finish and exits 0. Logs are JSON lines (pino) on stdout, one per request with its id.
 * A server that cannot start throws (main.ts reports it: exit 1).
 */
export function serveCommand(setExit: (code: number) => void): Command {
  return new Command("serve")
    .description("Serve a model (model.onnx + metadata.json) over HTTP: /score, Open Inference Protocol V2, /metrics")
    .requiredOption("--model <dir>", "folder with model.onnx and metadata.json, or its Blob Storage URL (credentials: $AZURE_STORAGE_CONNECTION_STRING, else DefaultAzureCredential)")
    .option("--port <n>", "port to listen on (0: any free port)", wholeNumber("--port", 0), 8080)
    .option("--host <host>", "address to listen on (0.0.0.0 for all)", "127.0.0.1")
    .option("--max-batch <n>", "rows per ONNX Runtime run at most", wholeNumber("--max-batch", 1), 32)
    .option("--max-wait-ms <ms>", "how long a request waits for others to share its run (0: only those arriving together)", milliseconds, 0)
    .option("--intra-op-threads <n>", "ONNX Runtime threads per run (1: on the event loop's thread)", wholeNumber("--intra-op-threads", 1), 1)
    .option("--max-queue <n>", "rows that may wait before requests get 503", wholeNumber("--max-queue", 1), 256)
    .option("--api-key <key>", "require this key (Authorization: Bearer or x-api-key); default $SCORING_API_KEY")
    .option("--no-auth", "serve without an API key even on the Azure target (e.g. behind a gateway that authenticates)")
    .option("--body-limit <bytes>", "largest request body (413 above it)", wholeNumber("--body-limit", 1), 1024 * 1024)
    .option("--request-timeout-ms <ms>", "time a client has to send a whole request (408 after it)", wholeNumber("--request-timeout-ms", 1), 30_000)
    .addOption(executionProviderOption())
    .addOption(new Option("--log-level <level>", "pino log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"))
    .action(async (o) => {
      // Loaded here, not at the top: every other custom-ai command would pay for fastify and ORT.
      const { createScoringServer, ServeError } = await import("../serve/index.js");
      const apiKey: string | undefined = o.apiKey ?? (process.env.SCORING_API_KEY || undefined);
      // On Azure the endpoint is reachable beyond this machine: no key is a mistake unless said so.
      if (!apiKey && o.auth !== false && loadConfig().target === "azure") {
        throw new ServeError(
          "BAD_CONFIG",
          "the target is azure, so the server needs an API key: set SCORING_API_KEY (from a Kubernetes Secret) or pass --api-key; " +
            "pass --no-auth only when something in front of it authenticates the callers.",
        );
      }
      const app = createScoringServer({
        model: o.model,
        maxBatch: o.maxBatch,
        maxWaitMs: o.maxWaitMs,
        maxQueue: o.maxQueue,
        intraOpThreads: o.intraOpThreads,
        executionProvider: o.executionProvider,
        apiKey: o.auth === false ? undefined : apiKey,
        bodyLimit: o.bodyLimit,
        requestTimeoutMs: o.requestTimeoutMs,
        logger: { level: o.logLevel },
        defaultMetrics: true,
      });
      let stopping: Promise<void> | undefined;
      const stop = (signal: string) => {
        app.log.info({ signal }, "shutting down: draining requests in flight");
        stopping ??= app.close();
      };
      const stopped = new Promise<void>((resolve) => app.addHook("onClose", async () => resolve()));
      const onTerm = () => stop("SIGTERM");
      const onInt = () => stop("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
      try {
        let address: string;
        try {
          address = await app.listen({ port: o.port, host: o.host });
        } catch (e) {
          await app.close();
          throw new ServeError("START_FAILED", `Cannot listen on ${o.host}:${o.port}: ${(e as Error).message}.`, { hint: "Choose another --port or --host.", cause: e });
        }
        process.stderr.write(`Scoring server on ${address} (model loading from ${o.model}; GET /readyz says when it is ready)\n`);
        let provider: string;
        try {
          provider = (await app.scoring.loaded).executionProvider.name;
        } catch (e) {
          await app.close();
          throw e;
        }
        process.stderr.write(`Model ready: ${address}/score (execution provider: ${provider})\n`);
        await stopped;
        await stopping;
        setExit(0);
      } finally {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onInt);
      }
    });
}
