// What every worker entrypoint of an Indexed Job (a Kubernetes pod's command, and runLocalJob's
// local processes) does around its work: leave with its launcher, and map errors to exit codes.
// It lives here, beside runLocalJob, because both halves of the local contract are one thing:
// runLocalJob sets CUSTOM_AI_EXIT_WITH_PARENT and holds the workers' stdin; this watches it.
import { isCustomAiError } from "../core/index.js";
import { JOB_ENV } from "./env.js";

/**
 * Runs `work` as a process's main function and exits with 0 when it succeeds, 2 for a known
 * failure (a CustomAiError: its code, message and hint are printed, no stack trace), 1 otherwise.
 * Started by runLocalJob (CUSTOM_AI_EXIT_WITH_PARENT=1), the process also exits when the launcher
 * goes: its pipe to our stdin closes.
 */
export function runWorkerMain(work: () => Promise<void>): void {
  if (process.env[JOB_ENV.exitWithParent] === "1") {
    process.stdin.on("end", () => process.exit(130));
    process.stdin.on("error", () => process.exit(130));
    process.stdin.resume();
    process.stdin.unref?.();
  }
  // No top-level await: lib/ is also compiled to CommonJS by tslab.
  work().then(
    () => process.exit(0),
    (error: unknown) => {
      if (isCustomAiError(error)) {
        console.error(`${error.name} ${error.code}: ${error.message}${error.hint ? `\n${error.hint}` : ""}`);
        process.exit(2);
      }
      console.error(error);
      process.exit(1);
    },
  );
}
