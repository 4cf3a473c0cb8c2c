// Runs a command and measures its whole-process wall time (spawn to exit), keeping its output.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface Timed {
  code: number | null;
  ms: number;
  output: string;
}

export function timed(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; echo?: boolean }): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, ms: performance.now() - t0, output }));
  });
}
