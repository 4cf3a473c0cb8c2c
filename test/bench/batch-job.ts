// Runs one batch job (ours or a peer) as a process tree and measures it: wall time from spawn to
// exit, and memory from /proc every 100 ms — the RSS summed over the tree (the job's footprint)
// and each process's own peak (VmHWM, the kernel's high-water mark, so no peak falls between samples).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export interface JobRun {
  code: number | null;
  ms: number;
  /** Peak of the RSS summed over the job's processes (sampled), bytes. */
  peakRss: number;
  /** The largest single process's peak RSS (VmHWM), bytes. */
  peakProcess: number;
  /** The largest peak of the processes under the one started (the workers), bytes; 0 when it started none. */
  peakWorker: number;
  /** Processes seen in the tree. */
  processes: number;
  output: string;
}

const PAGE = 4096;

function procs(): Map<number, { ppid: number; rss: number }> {
  const all = new Map<number, { ppid: number; rss: number }>();
  for (const name of readdirSync("/proc")) {
    if (name.charCodeAt(0) > 57) continue; // not a pid
    try {
      const s = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // the command name may hold spaces
      all.set(Number(name), { ppid: Number(f[1]), rss: Number(f[21]) * PAGE });
    } catch {
      // exited meanwhile
    }
  }
  return all;
}

function hwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function runJob(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: string }): Promise<JobRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const peaks = new Map<number, number>();
    let peakRss = 0;
    const sample = () => {
      if (child.pid === undefined) return;
      const all = procs();
      const queue = [child.pid];
      let sum = 0;
      while (queue.length) {
        const pid = queue.pop()!;
        const p = all.get(pid);
        if (!p) continue;
        sum += p.rss;
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, hwm(pid), p.rss));
        for (const [c, cp] of all) if (cp.ppid === pid) queue.push(c);
      }
      peakRss = Math.max(peakRss, sum);
    };
    const timer = setInterval(sample, 100);
    child.once("error", (e) => (clearInterval(timer), reject(e)));
    child.once("close", (code) => {
      clearInterval(timer);
      const workers = [...peaks].filter(([pid]) => pid !== child.pid).map(([, p]) => p);
      resolve({ code, ms: performance.now() - t0, peakRss, peakProcess: Math.max(0, ...peaks.values()), peakWorker: Math.max(0, ...workers), processes: peaks.size, output });
    });
  });
}

/** Starts the processes, waits until each prints `ready`, starts them together (a line on stdin), returns their JSON lines. */
export async function runTogether(argvs: string[][], cwd: string): Promise<{ rows: number; ms: number }[]> {
  const children = argvs.map((argv) => spawn(argv[0], argv.slice(1), { cwd, stdio: ["pipe", "pipe", "inherit"] }));
  const results = children.map(
    (child) =>
      new Promise<{ ready: Promise<void>; result: Promise<{ rows: number; ms: number }> }>((resolveOuter, reject) => {
        let out = "";
        let onReady!: () => void;
        const ready = new Promise<void>((r) => (onReady = r));
        const result = new Promise<{ rows: number; ms: number }>((resolveResult, rejectResult) => {
          child.stdout.on("data", (c: Buffer) => {
            out += c.toString();
            if (out.includes("ready ")) onReady();
          });
          child.once("close", (code) => {
            const line = out.trim().split("\n").pop() ?? "";
            if (code !== 0) return rejectResult(new Error(`ceiling process exited with ${code}: ${out.slice(-500)}`));
            resolveResult(JSON.parse(line));
          });
        });
        child.once("error", reject);
        resolveOuter({ ready, result });
      }),
  );
  const handles = await Promise.all(results);
  await Promise.all(handles.map((h) => h.ready));
  for (const child of children) child.stdin.end("go\n");
  return Promise.all(handles.map((h) => h.result));
}
