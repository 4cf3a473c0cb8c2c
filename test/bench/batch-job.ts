// Runs one batch job (ours or a peer) as a process tree and measures it: wall time from spawn to
// exit, CPU time (user + system of the job and every process it waited for, from /usr/bin/time
// where there is one: on a machine shared with other work it says what the job cost when wall
// times only say how busy the machine was), and memory from /proc every 100 ms — the RSS summed
// over the tree (the job's footprint) and each process's own peak (VmHWM, the kernel's
// high-water mark, so no peak falls between samples).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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
  /** CPU seconds (user + system) of the job's processes; undefined without /usr/bin/time. */
  cpuS?: number;
  output: string;
}

const TIME = "/usr/bin/time";
const CPU_MARK = "@job-cpu ";

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

const procsOf = (peaks: Map<number, number>) => peaks.keys();

export function runJob(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: string }): Promise<JobRun> {
  return new Promise((resolve, reject) => {
    const timed = existsSync(TIME);
    const command = timed ? [TIME, "-f", `${CPU_MARK}%U %S`, ...argv] : argv;
    const t0 = performance.now();
    // /usr/bin/time execs the command: the tree below it is the job's.
    const child = spawn(command[0], command.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const peaks = new Map<number, number>();
    const parentOf = new Map<number, number>();
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
        parentOf.set(pid, p.ppid);
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, hwm(pid), p.rss));
        for (const [c, cp] of all) if (cp.ppid === pid) queue.push(c);
      }
      peakRss = Math.max(peakRss, sum);
    };
    const timer = setInterval(sample, 100);
    child.once("error", (e) => (clearInterval(timer), reject(e)));
    child.once("close", (code) => {
      clearInterval(timer);
      // The job's own process is the one /usr/bin/time started (its only child), else the child.
      const top = timed ? [...procsOf(peaks)].find((pid) => pid !== child.pid && parentOf.get(pid) === child.pid) : child.pid;
      const workers = [...peaks].filter(([pid]) => pid !== child.pid && pid !== top).map(([, p]) => p);
      const mark = output.lastIndexOf(CPU_MARK);
      let cpuS: number | undefined;
      if (mark >= 0) {
        const [user, system] = output.slice(mark + CPU_MARK.length).split(/\s+/).map(Number);
        cpuS = user + system;
        output = output.slice(0, mark);
      }
      peaks.delete(child.pid!); // /usr/bin/time itself
      resolve({ code, ms: performance.now() - t0, peakRss, peakProcess: Math.max(0, ...peaks.values()), peakWorker: Math.max(0, ...workers), processes: peaks.size, cpuS, output });
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
