// The project's Python (a venv of pinned tools, see bin/python-env.mjs), for the tests that run
// a peer written in Python: the ONNX checker, tritonclient, schemathesis. The suite's global
// setup creates it before any test starts; this only resolves (and re-checks) its path.
// @ts-expect-error -- plain ESM script without type declarations
import { ensurePythonEnv } from "../../bin/python-env.mjs";

let python: string | undefined;

/** The interpreter of the project's Python environment (created on first need). */
export function projectPython(): string {
  python ??= ensurePythonEnv() as string;
  return python;
}
