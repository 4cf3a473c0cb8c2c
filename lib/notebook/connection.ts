// Connection files: where a kernel binds its five sockets.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

export type Channel = "shell" | "iopub" | "stdin" | "control" | "hb";

export function endpoint(info: ConnectionInfo, channel: Channel, ipcSeparator: ":" | "-" = "-"): string {
  const port = info[`${channel}_port`];
  return info.transport === "ipc" ? `ipc://${info.ip}${ipcSeparator}${port}` : `tcp://${info.ip}:${port}`;
}

// Ports handed to kernels of this process that may still be starting: never hand one out twice.
const handedOut = new Set<number>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function freshPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      ports.push(port);
    }
  }
  return ports;
}

export function releasePorts(info: ConnectionInfo): void {
  if (info.transport !== "tcp") return;
  for (const channel of ["shell", "iopub", "stdin", "control", "hb"] as const) handedOut.delete(info[`${channel}_port`]);
}

const DIR_PREFIX = "cai-k-";

/**
 * Removes the connection folders of runners that died without cleaning up (SIGKILL, a crash):
 * the folder names carry the owner's pid.
 */
function sweepOrphans(tmp: string): void {
  for (const name of readdirSync(tmp)) {
    const pid = name.startsWith(DIR_PREFIX) ? Number(name.slice(DIR_PREFIX.length).split("-")[0]) : NaN;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processExists(pid)) rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// A Unix socket's path holds at most 107 bytes (sun_path); a longer one fails with "File name too
// long". The folder name adds `/cai-k-<pid>-XXXXXX/k:5` (~30 bytes) to the temp folder's path.
const MAX_SOCKET_PATH = 107;

/** Where ipc sockets go: the temp folder, or /tmp when the temp folder's path is too long for a socket. */
function ipcBase(): string {
  const longest = (base: string) => Buffer.byteLength(path.join(base, `${DIR_PREFIX}${process.pid}-XXXXXX`, "k:5"));
  const tmp = os.tmpdir();
  if (longest(tmp) <= MAX_SOCKET_PATH || process.platform === "win32") return tmp;
  if (longest("/tmp") <= MAX_SOCKET_PATH) return "/tmp";
  return tmp;
}

/**
 * Writes a connection file into a fresh private folder. With "ipc" the sockets are files in that
 * folder, so two kernels can never collide; with "tcp" the ports are free loopback ports.
 */
export async function createConnection(kernelName: string, transport: "tcp" | "ipc"): Promise<{ info: ConnectionInfo; dir: string; file: string }> {
  const base = transport === "ipc" ? ipcBase() : os.tmpdir();
  sweepOrphans(base);
  const dir = mkdtempSync(path.join(base, `${DIR_PREFIX}${process.pid}-`));
  const [shell, iopub, stdin, control, hb] = transport === "ipc" ? [1, 2, 3, 4, 5] : await freshPorts(5);
  const info: ConnectionInfo = {
    transport,
    ip: transport === "ipc" ? path.join(dir, "k") : "127.0.0.1",
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomBytes(32).toString("hex"),
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
  const file = path.join(dir, "connection.json");
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  return { info, dir, file };
}
