import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The server's Prometheus metrics, on a registry of its own (several servers can share a process). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"method" | "route" | "status">;
  readonly latency: Histogram<"method" | "route">;
  readonly batchSize: Histogram;
  readonly batchRequests: Histogram;
  readonly queueDepth: Gauge;
  readonly rejected: Counter;
  readonly nonFinite: Counter;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "scoring_http_requests_total", help: "HTTP requests by route and status", labelNames: ["method", "route", "status"], registers });
    this.latency = new Histogram({
      name: "scoring_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.batchSize = new Histogram({ name: "scoring_batch_rows", help: "Rows per ONNX Runtime run", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers });
    this.batchRequests = new Histogram({ name: "scoring_batch_requests", help: "Requests merged into one ONNX Runtime run", buckets: [1, 2, 4, 8, 16, 32, 64], registers });
    this.queueDepth = new Gauge({ name: "scoring_queue_rows", help: "Rows waiting for a run", registers });
    this.rejected = new Counter({ name: "scoring_rejected_total", help: "Requests refused with 503 because the queue was full", registers });
    this.nonFinite = new Counter({ name: "scoring_nonfinite_predictions_total", help: "Rows whose model output was NaN or Infinity (their requests were answered 500)", registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
