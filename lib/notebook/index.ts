// lib/notebook: run Jupyter notebooks headlessly over the Jupyter messaging protocol (tslab or any
// kernel with a kernelspec), with parameters, glue, time-outs and failure detection.
export { RunnerError, exitCodeFor, type RunnerErrorCode } from "./errors.js";
export { glue, gluedInProcess, readGlue, GLUE_MIME } from "./glue.js";
export { Kernel, type KernelStartOptions, type ExecuteOutcome } from "./kernel.js";
export { findKernelSpecs, kernelSearchDirs, resolveKernel, builtInSpec, type KernelSpec, type LaunchMode } from "./kernelspec.js";
export { parseNotebook, readNotebook, writeNotebook, formatNotebook, sourceText, cellTags, type Notebook, type Cell, type CodeCell, type Output } from "./nbformat.js";
export { injectParameters, parseParameterArgs, coerceParameter, declaredParameters, type Parameters, type ParameterValue } from "./parameters.js";
export { runNotebook, defaultKernelCwd, type RunOptions, type NotebookResult, type CellResult, type CellStatus, type RunEvent } from "./runner.js";
export { runNotebooks, outputPathFor, type ManyOptions, type ManyResult } from "./run-many.js";
export { ProgressReporter } from "./progress.js";
export { formatSummary } from "./summary.js";
