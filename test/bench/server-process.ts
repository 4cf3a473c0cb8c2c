// Starts a scoring server as its own process group, waits until it answers its readiness URL,
// and stops it (SIGTERM to the group, SIGKILL if it lingers). Output is kept for error messages.
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServerProcess {
  name: string;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** Seconds from spawn until the readiness URL answered 200. */
  startS: number;
  /** The last few KB the server wrote. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  url: string;
  /** Path polled until it answers 200. */
  readyPath: string;
  timeoutMs?: number;
}

export async function startServer(o: StartOptions): Promise<ServerProcess> {
  const t0 = Date.now();
  const child: ChildProcess = spawn(o.argv[0], o.argv.slice(1), { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (b: Buffer) => (out = (out + b.toString()).slice(-8000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once("exit", (code, signal) => ((exited = code ?? (signal ? -1 : null)), resolve())));
  child.once("error", (e) => keep(Buffer.from(`spawn failed: ${e.message}\n`)));
  const stop = async () => {
    if (exited !== undefined || child.pid === undefined) return;
    const group = -child.pid;
    try {
      process.kill(group, "SIGTERM");
    } catch {
      return;
    }
    const done = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
    if (!done) {
      try {
        process.kill(group, "SIGKILL");
      } catch {
        /* gone */
      }
      await exit;
    }
    // Give a gunicorn / MLServer worker left in the group a moment to go with its parent.
    await sleep(200);
    try {
      process.kill(group, "SIGKILL");
    } catch {
      /* the group is empty */
    }
  };
  const deadline = t0 + (o.timeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`${o.name} exited (${exited}) before it was ready:\n${out.slice(-2000)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${o.name} was not ready at ${o.url}${o.readyPath} within ${(o.timeoutMs ?? 60_000) / 1000} s:\n${out.slice(-2000)}`);
    }
    try {
      const r = await fetch(o.url + o.readyPath, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  return { name: o.name, url: o.url, pid: child.pid!, startS: (Date.now() - t0) / 1000, output: () => out, stop };
}
