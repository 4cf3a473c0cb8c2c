// The terminal progress of a batch job: one line, redrawn in place on a terminal, printed every
// few seconds otherwise (CI logs).

export interface BatchProgressState {
  /** Partitions done (scored, quarantined or skipped as committed) of `total`. */
  done: number;
  total: number;
  /** Rows scored by this run. */
  rows: number;
}

export interface BatchProgress {
  update(state: BatchProgressState): void;
  /** Ends the line and prints the summary. */
  finish(summary: string): void;
}

export function createBatchProgress(stream: NodeJS.WriteStream = process.stderr, started = Date.now()): BatchProgress {
  const tty = Boolean(stream.isTTY);
  let last = 0;
  let drawn = false;
  const line = (s: BatchProgressState) => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = s.rows / seconds;
    const share = s.total ? s.done / s.total : 1;
    const width = 20;
    const filled = Math.round(share * width);
    const eta = share > 0 && share < 1 ? `ETA ${formatSeconds((seconds / share) * (1 - share))}` : "";
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${s.done}/${s.total} partitions, ${s.rows.toLocaleString("en-US")} rows, ${Math.round(rate).toLocaleString("en-US")} rows/s ${eta}`.trimEnd();
  };
  return {
    update(state) {
      const now = Date.now();
      if (now - last < (tty ? 200 : 5_000) && state.done < state.total) return;
      last = now;
      if (tty) {
        stream.write(`\r${line(state)}\x1b[K`);
        drawn = true;
      } else stream.write(`${line(state)}\n`);
    },
    finish(summary) {
      stream.write(`${drawn ? "\n" : ""}${summary}\n`);
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
