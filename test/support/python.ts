// The project's Python (a venv of pinned tools, see bin/python-env.mjs), for the tests that run
// a peer written in Python: the ONNX checker, tritonclient, schemathesis. The suite's global
// setup creates it before any test starts (also for a single file); this only names its path.
// @ts-expect-error -- plain ESM script without type declarations
import { venvPython } from "../../bin/python-env.mjs";

/** The interpreter of the project's Python environment (the suite's global setup made it). */
export function projectPython(): string {
  return venvPython as string;
}
