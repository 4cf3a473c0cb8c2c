// Memory and CPU of a server's whole process tree (gunicorn's master + worker, MLServer's
// processes, node), read from /proc: RSS summed over the tree, sampled on an interval.
import { readdirSync, readFileSync } from "node:fs";

const PAGE = 4096;
const TICKS = 100; // USER_HZ on Linux

interface Stat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpu: number;
  rssPages: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: split after its closing one.
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
  } catch {
    return undefined;
  }
}

/** The pid and all its descendants, with their stats. */
function tree(root: number): Stat[] {
  const all = new Map<number, Stat>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) all.set(Number(name), s);
  }
  const out: Stat[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    const s = all.get(pid);
    if (!s) continue;
    out.push(s);
    for (const [child, cs] of all) if (cs.ppid === pid) queue.push(child);
  }
  return out;
}

export interface TreeUsage {
  /** Resident memory of the whole tree, bytes. */
  rss: number;
  /** CPU time of the whole tree so far, seconds (children that exited are not counted). */
  cpuS: number;
  processes: number;
}

export function treeUsage(pid: number): TreeUsage {
  const t = tree(pid);
  return { rss: t.reduce((a, s) => a + s.rssPages * PAGE, 0), cpuS: t.reduce((a, s) => a + s.cpu, 0) / TICKS, processes: t.length };
}

export interface RssSample {
  /** Seconds since the sampler started. */
  t: number;
  rss: number;
}

/** Samples a tree's RSS every `intervalMs` until stopped; keeps every sample and the peak. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = Date.now();

  constructor(
    private readonly pid: number,
    intervalMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    this.samples.push({ t: (Date.now() - this.t0) / 1000, rss: treeUsage(this.pid).rss });
  }

  get peak(): number {
    return Math.max(0, ...this.samples.map((s) => s.rss));
  }

  stop(): RssSample[] {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }
}
