// Live training progress: in a tslab notebook, one display updated in place; on a terminal, a bar
// redrawn on one line (stderr); in a log (CI), one line per epoch.
import type { EpochLogs } from "./checkpoint.js";

export type ProgressMode = "auto" | "notebook" | "terminal" | "lines" | "none";

export interface ProgressStart {
  epochs: number;
  /** First epoch this call trains (> 0 after a resume). */
  startEpoch: number;
  samples: number;
  batchesPerEpoch: number;
  backend: string;
  note?: string;
}

export interface BatchProgress {
  epoch: number;
  batch: number;
  logs: Record<string, number>;
  samplesPerSecond: number;
}

/** Receives training events; `fitModel` calls it. Implement it to route progress elsewhere. */
export interface TrainingProgress {
  start(info: ProgressStart): void;
  batch(progress: BatchProgress): void;
  epoch(logs: EpochLogs, samplesPerSecond: number): void;
  end(summary: string): void;
}

interface TslabDisplay {
  text(s: string): void;
}

/** A tslab display updated in place, when this code runs inside a tslab kernel; else undefined. */
function tslabNewDisplay(): TslabDisplay | undefined {
  // `require` exists when tslab runs lib/ (compiled to CommonJS). Checking the module cache first
  // avoids loading tslab (and its TypeScript) in other CommonJS hosts such as vitest.
  if (typeof require !== "function") return undefined;
  const loaded = Object.keys(require.cache ?? {}).some((k) => /[\\/]tslab[\\/]dist[\\/]/.test(k));
  if (!loaded) return undefined;
  try {
    const display = (require("tslab") as { newDisplay(): TslabDisplay }).newDisplay();
    display.text("training…"); // throws "Not ready" outside an executing cell
    return display;
  } catch {
    return undefined;
  }
}

const number = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
const rate = (v: number) => `${Math.round(v).toLocaleString("en-US")} samples/s`;

function metricsText(logs: Record<string, number>): string {
  return Object.entries(logs)
    .filter(([k, v]) => k !== "epoch" && k !== "batch" && k !== "size" && typeof v === "number")
    .map(([k, v]) => `${k} ${number(v)}`)
    .join(" · ");
}

function bar(fraction: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

abstract class TextProgress implements TrainingProgress {
  protected info?: ProgressStart;
  protected done: string[] = [];
  protected lastDraw = 0;

  start(info: ProgressStart): void {
    this.info = info;
    const head = `training on ${info.backend}: ${info.samples.toLocaleString("en-US")} samples, ${info.batchesPerEpoch} batches/epoch` +
      (info.startEpoch > 0 ? `, resuming at epoch ${info.startEpoch + 1}/${info.epochs}` : "");
    this.done.push(info.note ? `${info.note}\n${head}` : head);
    this.draw(true);
  }

  batch(p: BatchProgress): void {
    const now = Date.now();
    if (now - this.lastDraw < this.throttleMs()) return;
    this.lastDraw = now;
    const total = this.info?.batchesPerEpoch ?? 1;
    this.current = `epoch ${p.epoch + 1}/${this.info?.epochs} ${bar((p.batch + 1) / total)} batch ${p.batch + 1}/${total} · ${metricsText(p.logs)} · ${rate(p.samplesPerSecond)}`;
    this.draw(false);
  }

  epoch(logs: EpochLogs, samplesPerSecond: number): void {
    this.current = "";
    this.done.push(`epoch ${logs.epoch + 1}/${this.info?.epochs} · ${metricsText(logs)} · ${rate(samplesPerSecond)}`);
    this.draw(true);
  }

  end(summary: string): void {
    this.current = "";
    this.done.push(summary);
    this.draw(true);
  }

  protected current = "";
  protected abstract throttleMs(): number;
  protected abstract draw(force: boolean): void;
}

class NotebookProgress extends TextProgress {
  constructor(private readonly display: TslabDisplay) {
    super();
  }
  protected throttleMs() {
    return 250;
  }
  protected draw(): void {
    const lines = this.done.length > 25 ? [this.done[0], `… ${this.done.length - 24} lines`, ...this.done.slice(-23)] : this.done;
    try {
      this.display.text([...lines, this.current].filter(Boolean).join("\n"));
    } catch {
      // The cell ended (a notebook that fires and forgets): nowhere to draw.
    }
  }
}

class TerminalProgress extends TextProgress {
  private printed = 0;
  constructor(private readonly stream: NodeJS.WriteStream, private readonly tty: boolean) {
    super();
  }
  protected throttleMs() {
    return this.tty ? 100 : Infinity;
  }
  protected draw(): void {
    if (this.tty) this.stream.write("\r\x1b[2K");
    for (; this.printed < this.done.length; this.printed++) this.stream.write(`${this.done[this.printed]}\n`);
    if (this.tty && this.current) this.stream.write(this.current.slice(0, (this.stream.columns || 120) - 1));
  }
}

const silent: TrainingProgress = { start() {}, batch() {}, epoch() {}, end() {} };

/**
 * The progress reporter for a mode: "auto" is a tslab display inside a notebook, else a redrawn
 * line on a terminal, else a line per epoch; "none" is silent. Terminal output goes to stderr.
 */
export function createProgress(mode: ProgressMode | boolean = "auto", stream: NodeJS.WriteStream = process.stderr): TrainingProgress {
  if (mode === false || mode === "none") return silent;
  const wanted = mode === true ? "auto" : mode;
  if (wanted === "auto" || wanted === "notebook") {
    const display = tslabNewDisplay();
    if (display) return new NotebookProgress(display);
  }
  const tty = wanted === "terminal" || (wanted !== "lines" && Boolean(stream.isTTY) && !process.env.CI);
  return new TerminalProgress(stream, tty);
}
