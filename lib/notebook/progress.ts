// Live progress on the terminal: one status line per running notebook on a TTY (redrawn in place),
// plain event lines otherwise (CI logs). Writes to stderr so stdout stays for results.
import { sourceText, type Output } from "./nbformat.js";
import type { RunEvent } from "./runner.js";

const fmt = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`);

export class ProgressReporter {
  private readonly running = new Map<string, { started: number; line: string }>();
  private drawn = 0;
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logOutput = false,
    private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI,
  ) {}

  /** Pass as the runner's `onProgress`. */
  readonly onProgress = (e: RunEvent): void => {
    const now = Date.now();
    const state = this.running.get(e.notebook) ?? { started: now, line: "" };
    this.running.set(e.notebook, state);
    switch (e.type) {
      case "kernel-starting":
        state.line = "starting kernel";
        break;
      case "kernel-ready":
        state.line = `kernel ready in ${fmt(e.ms)}`;
        break;
      case "cell-start":
        state.line = `cell ${e.ordinal}/${e.total}`;
        break;
      case "cell-end":
        state.line = `cell ${e.ordinal}/${e.total} ${e.status} (${fmt(e.ms)})`;
        if (!this.tty || e.status !== "ok") this.log(`[${e.notebook}] ${state.line} · ${fmt(now - state.started)} elapsed`);
        if (e.ordinal === e.total) this.running.delete(e.notebook);
        break;
      case "warning":
        this.log(`[${e.notebook}] warning: ${e.message}`);
        break;
      case "output":
        if (this.logOutput) this.log(indent(e.notebook, outputText(e.output)));
        break;
    }
    if (this.tty) this.redraw();
  };

  /** @deprecated Use `onProgress`. */
  readonly onEvent = this.onProgress;

  start(): void {
    if (this.tty) this.ticker = setInterval(() => this.redraw(), 500);
  }

  notebookDone(name: string): void {
    this.running.delete(name);
    if (this.tty) this.redraw();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.running.clear();
    if (this.tty) this.redraw();
  }

  log(text: string): void {
    if (!text) return;
    this.clear();
    this.stream.write(text.endsWith("\n") ? text : text + "\n");
    if (this.tty) this.redraw();
  }

  private clear(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const now = Date.now();
    const lines = [...this.running].map(([nb, s]) => `  ${nb}: ${s.line} · ${fmt(now - s.started)}`);
    if (lines.length) this.stream.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }
}

function outputText(o: Output): string {
  if (o.output_type === "stream") return sourceText(o.text);
  if (o.output_type === "error") return `${o.ename}: ${o.evalue}`;
  const text = o.data["text/plain"];
  if (typeof text === "string" || Array.isArray(text)) return sourceText(text as string | string[]);
  return `<${Object.keys(o.data).join(", ")}>`;
}

function indent(name: string, text: string): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => `  ${name} │ ${l}`)
    .join("\n");
}
