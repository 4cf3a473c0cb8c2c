// Persisting the executed notebook: at the end of a run, and while a long one runs, at most every
// 5 s, so that a reader can follow along. Never the input file (the runner checks the path first).
import { writeNotebook, type Notebook } from "./nbformat.js";

export class NotebookWriter {
  private lastWrite = Date.now();

  /** Writes `nb` to `outputPath`; without one, writes nothing. */
  constructor(
    private readonly outputPath: string | undefined,
    private readonly nb: Notebook,
  ) {}

  /** Whether a write while the notebook runs is due: there is an output path and the last write is over 5 s old. */
  due(): boolean {
    return Boolean(this.outputPath) && Date.now() - this.lastWrite > 5000;
  }

  write(): void {
    if (this.outputPath) writeNotebook(this.outputPath, this.nb);
    this.lastWrite = Date.now();
  }
}
