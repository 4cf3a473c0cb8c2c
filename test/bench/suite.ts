// What a benchmark suite gives the bench entry (test/bench/index.ts): a name, and a run that
// returns a printable table, a verdict against its goal, and data for out/bench/<name>.json.
export interface BenchContext {
  /** The repository root (every path a suite prints is relative to it). */
  root: string;
  /** Measured repetitions per case (BENCH_REPS, default 3). */
  reps: number;
  log: (line: string) => void;
}

export interface SuiteReport {
  /** The results, ready to print. */
  table: string;
  verdict: { pass: boolean; text: string };
  /** Written as JSON to out/bench/<name>.json. */
  data: unknown;
}

export interface BenchSuite {
  name: string;
  title: string;
  goal: string;
  run: (ctx: BenchContext) => Promise<SuiteReport>;
}
