// Spark's JVM and the Kafka broker cannot watch their parent: a notebook kernel or test that is
// itself SIGKILLed runs no exit hook (killWithParent), and they would run on. So they are started
// under a small Node watchdog that holds a pipe from us on its stdin: when the pipe closes (we
// exited, however), it SIGKILLs its process group — the JVM and whatever the JVM started (Python
// workers). Signals sent to the group reach the JVM directly; the watchdog exits as its child did.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

const WATCHDOG = `
const { spawn } = require("node:child_process");
const [cmd, ...args] = process.argv.slice(1);
const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
const cleanup = process.env.CUSTOM_AI_WATCHDOG_CLEANUP;
const killGroup = () => {
  // Scratch first: the kill takes this process too. (What the dying group writes meanwhile is lost with it.)
  if (cleanup) try { require("node:fs").rmSync(cleanup, { recursive: true, force: true }); } catch {}
  try { process.kill(-process.pid, "SIGKILL"); } catch {}
};
process.stdin.on("end", killGroup);
process.stdin.on("error", killGroup);
process.stdin.resume();
for (const s of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(s, () => {}); // the group's signal reaches the child too
child.on("error", (e) => { console.error(String(e)); process.exit(127); });
child.on("exit", (code, signal) => {
  process.stdin.destroy();
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  process.exit(code ?? 1);
});
`;

/**
 * Spawns `command` under the watchdog, in a process group of its own (detached): stop it with
 * stopProcess(child, { group: true }). stdout and stderr are the command's. `cleanup`: a scratch
 * folder the watchdog removes when it has to kill the group (the caller removes it otherwise).
 */
export function spawnWatched(command: string, args: string[], options: Omit<SpawnOptions, "stdio" | "detached"> & { cleanup?: string } = {}): ChildProcess {
  const { cleanup, ...rest } = options;
  const env = { ...(rest.env ?? process.env), ...(cleanup ? { CUSTOM_AI_WATCHDOG_CLEANUP: cleanup } : {}) };
  return spawn(process.execPath, ["-e", WATCHDOG, "--", command, ...args], { ...rest, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
}
