// Kernel start → first kernel_info reply, for the tslab launches the toolkit makes: the runner's
// (and papermill's) built-in command, and the kernelspec's launcher (bin/tslab-kernel.mjs, JupyterLab).
//   npx tsx test/bench/kernel-start.ts [reps]   (KERNEL_START_WHICH=builtin|launcher to pick one;
//   KERNEL_START_LAUNCHER=<file> times another launcher; CUSTOM_AI_TSLAB_TYPES=* loads all @types)
// CPU is the kernel process's user+system time when it is ready: on a shared machine, steadier than wall.
import { readFileSync } from "node:fs";
import path from "node:path";
import { builtInSpec, Kernel, type KernelSpec } from "../../lib/notebook/index.js";

/** User + system CPU seconds of a live process, from /proc (Linux only). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

const reps = Number(process.argv[2] ?? 3);
const builtin = builtInSpec("tslab")!;
const launcher: KernelSpec = {
  ...builtin,
  name: "custom-ai-tslab",
  argv: [process.execPath, path.resolve(process.env.KERNEL_START_LAUNCHER ?? "bin/tslab-kernel.mjs"), "kernel", "--config-path", "{connection_file}"],
};
const which = process.env.KERNEL_START_WHICH;
const specs = Object.entries({ builtin, launcher }).filter(([k]) => !which || which === k);
for (const [label, spec] of specs) {
  const times: string[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const kernel = await Kernel.start({ spec, cwd: process.cwd() });
    const ms = performance.now() - t0;
    times.push(`${(ms / 1000).toFixed(2)}s (cpu ${cpuSeconds(kernel.pid).toFixed(2)}s)`);
    await kernel.shutdown();
  }
  console.log(`${label}: ${times.join(", ")}`);
}
