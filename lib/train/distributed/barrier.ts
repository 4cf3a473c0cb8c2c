import os from "node:os";
import { getJson, putJson, type BlobStore } from "../../core/index.js";
import { DistributedTrainingError } from "./errors.js";
import { rankOfKey, runLayout } from "./layout.js";

export type WorkerPhase = "starting" | "loading" | "training" | "waiting" | "averaging" | "evaluating" | "saving" | "done" | "failed";

/** What each rank writes to runs/<id>/heartbeat/rank-<r>.json, every heartbeatMs and at each phase. */
export interface Heartbeat {
  rank: number;
  phase: WorkerPhase;
  epoch: number;
  /** Writer's clock, ms since 1970. */
  time: number;
  pid: number;
  host: string;
}

/** What a rank writes to runs/<id>/status/rank-<r>.json when it ends. */
export interface RankStatus {
  rank: number;
  state: "done" | "failed";
  code?: string;
  message?: string;
  epoch?: number;
  time: number;
}

/** Keeps a rank's heartbeat fresh: written at each phase change and every `intervalMs` in between. */
export class HeartbeatWriter {
  private phase: WorkerPhase = "starting";
  private epoch = -1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: BlobStore,
    private readonly runId: string,
    private readonly rank: number,
    private readonly intervalMs: number,
  ) {}

  /** Writes the first heartbeat and starts the timer. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.intervalMs);
    this.timer.unref?.();
  }

  async set(phase: WorkerPhase, epoch = this.epoch): Promise<void> {
    this.phase = phase;
    this.epoch = epoch;
    await this.beat();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): Promise<void> {
    const beat: Heartbeat = { rank: this.rank, phase: this.phase, epoch: this.epoch, time: Date.now(), pid: process.pid, host: os.hostname() };
    // One write at a time, in order: a late timer write must not overwrite a newer phase.
    this.writing = this.writing.catch(() => undefined).then(() => putJson(this.store, runLayout(this.runId).heartbeat(this.rank), beat));
    return this.writing;
  }
}

export interface BarrierOptions {
  timeoutMs: number;
  pollMs: number;
  /** Called after each poll that found ranks missing (e.g. to log). */
  onWait?: (missing: number[], waitedMs: number) => void;
}

/**
 * Waits until every rank has written its weights for `epoch`, polling the store. Fails fast with
 * WORKER_FAILED when a missing rank reported a failure, and with BARRIER_TIMEOUT after
 * `timeoutMs`, naming the missing ranks and, from their heartbeats, when each was last seen.
 */
export async function waitForEpoch(store: BlobStore, runId: string, epoch: number, worldSize: number, options: BarrierOptions): Promise<{ waitedMs: number }> {
  const layout = runLayout(runId);
  const start = Date.now();
  for (;;) {
    const present = new Set((await store.list(layout.epoch(epoch))).map(rankOfKey).filter((r): r is number => r !== undefined));
    const missing = range(worldSize).filter((r) => !present.has(r));
    if (missing.length === 0) return { waitedMs: Date.now() - start };

    const failedKeys = new Set(await store.list(layout.statuses));
    for (const rank of missing) {
      if (!failedKeys.has(layout.status(rank))) continue;
      const status = await getJson<RankStatus>(store, layout.status(rank));
      if (status?.state === "failed") {
        throw new DistributedTrainingError(
          "WORKER_FAILED",
          `Epoch ${epoch}: rank ${rank} failed${status.epoch !== undefined && status.epoch >= 0 ? ` in epoch ${status.epoch}` : ""} (${status.code ?? "error"}: ${status.message ?? "no message"}), so this run cannot finish. Fix that worker's problem and start a new run.`,
          { epoch, ranks: [rank] },
        );
      }
    }
    const waited = Date.now() - start;
    if (waited >= options.timeoutMs) {
      const seen = await Promise.all(missing.map((rank) => describeRank(store, runId, rank)));
      throw new DistributedTrainingError(
        "BARRIER_TIMEOUT",
        `Epoch ${epoch}: rank${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${worldSize} did not deliver weights within ${fmtSeconds(options.timeoutMs)} (${seen.join("; ")}). ` +
          `Check those workers' logs (locally the [rank N] lines; on AKS \`kubectl logs\` of the Job's pod with that completion index); if they are only slow, raise barrierTimeoutMs. Then start a new run.`,
        { epoch, ranks: missing },
      );
    }
    options.onWait?.(missing, waited);
    await delay(Math.min(options.pollMs, Math.max(1, options.timeoutMs - waited)));
  }
}

/** "rank 2 last seen 40 s ago (epoch 1, training)" or "rank 2 never started". */
export async function describeRank(store: BlobStore, runId: string, rank: number, now = Date.now()): Promise<string> {
  let beat: Heartbeat | undefined;
  try {
    beat = await getJson<Heartbeat>(store, runLayout(runId).heartbeat(rank));
  } catch {
    beat = undefined;
  }
  if (!beat) return `rank ${rank} never started (no heartbeat)`;
  const where = beat.epoch >= 0 ? `epoch ${beat.epoch}, ${beat.phase}` : beat.phase;
  return `rank ${rank} last seen ${fmtSeconds(Math.max(0, now - beat.time))} ago (${where}, pid ${beat.pid} on ${beat.host})`;
}

function fmtSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
