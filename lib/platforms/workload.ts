// What a workload says about itself: the properties the decision trees ask about.

/** A training workload. */
export interface TrainingWorkload {
  readonly task: "training";
  /** It needs a GPU (deep learning). */
  readonly gpu: boolean;
  /** Nodes at once (data-parallel workers or sweep trials). Default 1. */
  readonly nodes?: number;
  /** Runs unattended (scheduled retraining, CI) rather than a person experimenting in a notebook. Default false. */
  readonly unattended?: boolean;
  /** It checkpoints, so a run survives its node being evicted (spot). Default false. */
  readonly interruptible?: boolean;
  /** The team wants a managed ML service rather than VMs and clusters it runs itself. Default false. */
  readonly managed?: boolean;
}

/** A scoring workload. */
export interface ScoringWorkload {
  readonly task: "scoring";
  readonly mode: "realtime" | "batch";
  /** "ml": a classic model on table rows (2-1…2-4); "dl": a deep learning model on images (2-5, 2-6). */
  readonly model: "ml" | "dl";
  /** The data already flows through Spark: events into Structured Streaming, or tables an existing Spark pool reads. Default false. */
  readonly spark?: boolean;
  /** Images per second one node must score (dl). Default 0. */
  readonly imagesPerSecond?: number;
  /** Latency budget: p99 milliseconds per batch of 32 (dl, real time). Default: none. */
  readonly p99MsPerBatch?: number;
  /** Real-time traffic is sporadic: idle most of the day, so scaling to zero pays. Default false. */
  readonly sporadic?: boolean;
  /** A batch run can be evicted and resumed (spot). Default false. */
  readonly interruptible?: boolean;
  readonly managed?: boolean;
}

export type Workload = TrainingWorkload | ScoringWorkload;
