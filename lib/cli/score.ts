// `custom-ai score`: batch scoring of a folder or Blob prefix of CSV / Parquet files (tabular
// model) or PNG / JPEG images (image model) with an ONNX model.
// Exit codes: 0 every partition scored; 3 done, but some partitions or images were quarantined
// (corrupt input: see quarantine/ and manifest.json); otherwise the error's (lib/core/error-codes.ts):
// 1 the job failed (a worker died, a bad model or storage: running it again resumes), 2 usage,
// 130 stopped by Ctrl-C.
import { Command, InvalidArgumentError } from "commander";
import { executionProviderOption } from "./execution-provider-option.js";
import { interruptible } from "./interrupt.js";

/** The exit code of `custom-ai score` when some partitions were quarantined. */
export const SCORE_QUARANTINED_EXIT = 3;

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} takes a whole number ≥ 1.`);
  return n;
};

export function scoreCommand(setExit: (code: number) => void): Command {
  return new Command("score")
    .description("Batch-score CSV / Parquet files or PNG / JPEG images (a folder or Blob prefix) with an ONNX model, in parallel local workers; resumable")
    .requiredOption("--model <dir|url>", "folder or Blob prefix with model.onnx and metadata.json")
    .requiredOption("--input <dir|url>", "folder or Blob prefix of CSV / Parquet files (header row with the feature names; optional id column), or of PNG / JPEG images for an image model")
    .requiredOption("--output <dir|url>", "folder or Blob prefix for results/, manifest.json and quarantine/")
    .option("--workers <n>", "worker processes", positiveInt("--workers"), 2)
    .option("--batch-size <n>", "rows per ONNX Runtime call", positiveInt("--batch-size"), 512)
    .option("--images-per-partition <n>", "image models: images per partition (default 500, or what the job recorded)", positiveInt("--images-per-partition"))
    .addOption(executionProviderOption())
    .option("--log", "print the workers' log lines")
    .option("--json", "print the summary as JSON on stdout")
    .action(async (o) => {
      // Loaded here: `custom-ai --help` should not pay for ONNX Runtime and tfjs.
      const { runBatchScoring } = await import("../serve/batch/index.js");
      // Ctrl-C stops the workers and keeps what they committed: ABORTED (exit 130); a second one kills.
      const stop = interruptible({ say: () => process.stderr.write("\nInterrupted: stopping the workers; committed partitions are kept…\n") });
      try {
        const summary = await runBatchScoring({
          model: o.model,
          input: o.input,
          output: o.output,
          workers: o.workers,
          batchSize: o.batchSize,
          imagesPerPartition: o.imagesPerPartition,
          executionProvider: o.executionProvider,
          log: Boolean(o.log),
          abortSignal: stop.signal,
        });
        if (o.json) process.stdout.write(JSON.stringify({ ...summary, manifest: undefined }, null, 2) + "\n");
        else {
          // The progress line and summary went to stderr; stdout says where the results are.
          process.stdout.write(`Results: ${summary.manifest.output}/results (manifest.json beside)\n`);
          if (summary.quarantined) process.stdout.write(`${summary.quarantined} partition(s) quarantined: see ${summary.manifest.output}/quarantine\n`);
          if (summary.quarantinedImages) process.stdout.write(`${summary.quarantinedImages} image(s) quarantined: see ${summary.manifest.output}/quarantine\n`);
        }
        setExit(summary.quarantined + summary.quarantinedImages > 0 ? SCORE_QUARANTINED_EXIT : 0);
      } finally {
        stop.done();
      }
    });
}
