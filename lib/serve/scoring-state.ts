// The model behind a scoring server: loaded and warmed up in the background, then run through a
// micro-batcher. Until it is ready, or after it failed to load, a request that needs it gets a 503.
import type { FastifyBaseLogger } from "fastify";
import { MicroBatcher } from "./batcher.js";
import { RequestError } from "./errors.js";
import { describeExecutionProvider } from "./execution-providers.js";
import type { ServerMetrics } from "./metrics.js";
import { loadScoringModel, type LoadScoringModelOptions, type ScoringModel } from "./model.js";
import type { ResolvedServerOptions } from "./server-options.js";

export class ScoringState {
  /** Set once the model is loaded and warmed up. */
  model: ScoringModel | undefined;
  batcher: MicroBatcher | undefined;
  /** Why the model failed to load, once it has. */
  loadError: Error | undefined;
  /** Resolves once the model is loaded and warmed up; rejects with a ServeError if it cannot load. */
  readonly loaded: Promise<ScoringModel>;

  /** Starts loading at once; `loaded` settles when it is done. */
  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly opts: ResolvedServerOptions,
    private readonly metrics: ServerMetrics,
    load: LoadScoringModelOptions,
  ) {
    this.loaded = this.load(load);
    this.loaded.catch((e: Error) => {
      this.loadError = e;
      this.log.error({ err: e }, "model failed to load");
    });
  }

  /** The model and its batcher, or the 503 that says why there are none yet. */
  require(): { model: ScoringModel; batcher: MicroBatcher } {
    const { model, batcher, loadError } = this;
    if (!model || !batcher) {
      throw loadError
        ? new RequestError(503, `The model failed to load: ${loadError.message}`)
        : new RequestError(503, "The model is still loading. Retry shortly.", 1);
    }
    return { model, batcher };
  }

  private async load(load: LoadScoringModelOptions): Promise<ScoringModel> {
    const { opts, metrics } = this;
    const m = await loadScoringModel(opts.model, load);
    if (m.executionProvider.fallbackReason) this.log.warn({ executionProvider: m.executionProvider.name }, `execution provider ${describeExecutionProvider(m.executionProvider)}`);
    const b = new MicroBatcher({
      maxBatch: opts.maxBatch,
      maxWaitMs: opts.maxWaitMs,
      maxQueue: opts.maxQueue,
      rowSize: m.rowSize,
      run: (data, rows) => m.run(data, rows),
      onRun: (rows, requests) => {
        metrics.batchSize.observe(rows);
        metrics.batchRequests.observe(requests);
      },
      onQueue: (rows) => metrics.queueDepth.set(rows),
    });
    // Warm-up: the first runs allocate and pick kernels; do them before declaring readiness.
    await m.run(new Float32Array(m.rowSize), 1);
    await m.run(new Float32Array(m.rowSize * opts.maxBatch), opts.maxBatch);
    this.model = m;
    this.batcher = b;
    this.log.info({ model: m.name, input: m.inputName, rowShape: m.rowShape, maxBatch: opts.maxBatch, executionProvider: m.executionProvider.name }, "model loaded and warmed up");
    return m;
  }
}
