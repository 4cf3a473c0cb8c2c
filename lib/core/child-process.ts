// Stopping a child process, the one way the toolkit does it (workers, servers, emulators; control
// planes and brokers later): a signal, a grace to exit, SIGKILL, then waiting until the process is
// reaped — and, with killWithParent, SIGKILL for whatever is still running when this process exits.
// notebook/ does not use it: it imports no other lib folder, and a kernel is stopped by its own
// protocol (shutdown_request) rather than by a signal (lib/notebook/kernel.ts).
import type { ChildProcess } from "node:child_process";

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * How long a process gets to exit after its stop signal before it is killed (SIGKILL), unless its
 * caller says otherwise. 5 s: enough for Azurite to close its server and flush its metadata, and
 * for a Node worker to run a SIGTERM handler; short enough that a test or a notebook cell does not
 * hang noticeably on a process that ignores the signal. (Kubernetes gives a pod 30 s by default:
 * the local stand-ins here do less on the way out.) A caller that drains work on SIGTERM passes
 * its own `graceMs` and says why (lib/serve/process.ts).
 */
export const DEFAULT_STOP_GRACE_MS = 5_000;

/** How a child process ended. */
export interface ProcessEnd {
  /** null when a signal ended it, or it never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when SIGKILL had to be sent: the grace ran out, or the stop was aborted. */
  forced: boolean;
}

export interface StopProcessOptions {
  /** The first signal. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** How long it may take to exit after `signal` before SIGKILL. Default DEFAULT_STOP_GRACE_MS; 0 kills at once. */
  graceMs?: number;
  /**
   * Signal the child's whole process group (-pid), not the child alone: for a child spawned with
   * `detached: true` that starts processes of its own (a shell script, a JVM launcher). Members
   * left in the group after the child exits are killed too.
   */
  group?: boolean;
  /** Aborting it ends the grace early: SIGKILL at once. */
  abortSignal?: AbortSignal;
}

/** Resolves once the child has exited and been reaped (at once if it already has, or never started). */
export function processExit(child: ChildProcess): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ exitCode: child.exitCode, signal: child.signalCode });
  // A spawn that failed (no such program) has no pid and emits "error": there is nothing to reap.
  if (child.pid === undefined) return Promise.resolve({ exitCode: null, signal: null });
  return new Promise((resolve) => child.once("exit", (exitCode, signal) => resolve({ exitCode, signal })));
}

/**
 * Stops a child process: sends `signal` (SIGTERM), waits up to `graceMs` for it to exit, then sends
 * SIGKILL, and resolves once it has been reaped (no zombie is left), with how it ended. A child
 * that has already exited resolves at once with its exit. Safe to call more than once.
 */
export async function stopProcess(child: ChildProcess, options: StopProcessOptions = {}): Promise<ProcessEnd> {
  const exit = processExit(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return { ...(await exit), forced: false };
  const first = options.signal ?? "SIGTERM";
  let forced = false;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    forced = true;
    send(child, "SIGKILL", options.group);
  };
  let timer: NodeJS.Timeout | undefined;
  options.abortSignal?.addEventListener("abort", kill, { once: true });
  if (options.abortSignal?.aborted) kill();
  else {
    send(child, first, options.group);
    if (first !== "SIGKILL") timer = setTimeout(kill, Math.max(0, options.graceMs ?? DEFAULT_STOP_GRACE_MS));
  }
  const end = await exit;
  clearTimeout(timer);
  options.abortSignal?.removeEventListener("abort", kill);
  if (options.group) send(child, "SIGKILL", true); // members the leader left behind
  return { ...end, forced };
}

function send(child: ChildProcess, signal: NodeJS.Signals, group = false): void {
  try {
    if (group && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone (ESRCH): its exit is on the way, or the group is empty.
  }
}

const withParent = new Map<ChildProcess, boolean>();
let exitHookInstalled = false;

/**
 * Kills the child (SIGKILL, its process group with `group`) if this process exits while it runs,
 * so that no worker, server or emulator outlives the notebook or test that started it. (A process
 * that is itself SIGKILLed runs no exit hook: children that must go then too watch their stdin,
 * as lib/jobs' workers and Azurite do.) Returns a function that forgets the child; an exited
 * child is forgotten by itself.
 */
export function killWithParent(child: ChildProcess, options: { group?: boolean } = {}): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const [c, group] of withParent) send(c, "SIGKILL", group);
    });
  }
  const forget = () => {
    withParent.delete(child);
  };
  if (child.exitCode !== null || child.signalCode !== null) return forget;
  withParent.set(child, options.group === true);
  child.once("exit", forget);
  return forget;
}
