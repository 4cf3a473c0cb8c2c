import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { killWithParent, stopProcess } from "./child-process.js";
import { findPackage } from "./packages.js";
import { importPackage } from "./import-package.js";
import { StorageError } from "./storage-errors.js";

/** Azurite's built-in development account and its key: public, documented by Microsoft, valid only on emulators. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** The connection string of Azurite's development account at a blob endpoint (`http://127.0.0.1:10000/devstoreaccount1`). */
export function azuriteConnectionString(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`;
}

export interface AzuriteOptions {
  /** Folder for Azurite's data. Default: a new temporary folder, deleted by stop(). */
  location?: string;
  /** Port to listen on (127.0.0.1). Default: a free one. */
  port?: number;
  /** Keep the data in memory only (nothing written to `location`). */
  inMemory?: boolean;
  /** Longest wait for the emulator to answer. Default 30 s. */
  timeoutMs?: number;
}

export interface Azurite {
  /** The development account's blob endpoint: `http://127.0.0.1:<port>/devstoreaccount1`; add `/<container>/<prefix>` for a storage URL. */
  url: string;
  connectionString: string;
  accountName: string;
  accountKey: string;
  port: number;
  /** The data folder ("" with inMemory). */
  location: string;
  pid: number;
  /** A storage URL in this emulator: `containerUrl("runs", "r1")` → `http://127.0.0.1:<port>/devstoreaccount1/runs/r1`. */
  containerUrl(container: string, prefix?: string): string;
  /** Stops the emulator (SIGTERM, then SIGKILL after DEFAULT_STOP_GRACE_MS, 5 s) and deletes a temporary location. Safe to call twice. */
  stop(): Promise<void>;
}

// Loaded into the emulator's process with --import: it exits when its stdin closes, i.e. when the
// process that started it is gone, even after a SIGKILL that left no chance to stop it. On SIGTERM
// it lets go of stdin so that the process ends once Azurite's own handler has closed the server.
const EXIT_WITH_PARENT =
  "data:text/javascript,process.stdin.on('end',()=>process.exit(0));process.stdin.on('error',()=>process.exit(0));" +
  "process.on('SIGTERM',()=>process.stdin.destroy());process.stdin.resume();";

/**
 * Starts Azurite's Blob service (the `azurite` npm package) in a child process on 127.0.0.1, with
 * API-version checks off, loose mode, no access log and no telemetry, and waits until it answers.
 * The emulator stops with stop(), when this process exits, or when this process dies.
 * Throws StorageError AZURITE_START with the emulator's output when it does not start.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const pkg = findPackage("azurite");
  if (!pkg) {
    throw new StorageError("AZURITE_START", "The azurite package is not installed: run `npm install` in the project (it is a dependency).");
  }
  const main = path.join(pkg.dir, "dist", "src", "blob", "main.js");
  if (options.inMemory && options.location !== undefined) {
    throw new StorageError("BAD_OPTION", "startAzurite: give either location or inMemory, not both (Azurite refuses --location with --inMemoryPersistence).");
  }
  const ownLocation = options.location === undefined && !options.inMemory;
  const location = options.inMemory ? "" : (options.location ?? mkdtempSync(path.join(os.tmpdir(), "azurite-")));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: StorageError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    // Readiness is "something answers on the port": make sure nothing did before we start.
    if (options.port !== undefined && !(await portIsFree(port))) {
      if (ownLocation) rmSync(location, { recursive: true, force: true });
      throw new StorageError("AZURITE_START", `Port ${port} on 127.0.0.1 is already in use (another Azurite?): pick another port, or leave port out to get a free one.`);
    }
    try {
      return await launch(main, port, location, ownLocation, options.inMemory === true, timeoutMs);
    } catch (error) {
      lastError = error as StorageError;
      // Another process took the free port between the check and the start: try another one.
      if (!/EADDRINUSE/.test(lastError.message)) break;
    }
  }
  if (ownLocation) rmSync(location, { recursive: true, force: true });
  throw lastError;
}

async function launch(main: string, port: number, location: string, ownLocation: boolean, inMemory: boolean, timeoutMs: number): Promise<Azurite> {
  const args = [
    "--import",
    EXIT_WITH_PARENT,
    main,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    "--skipApiVersionCheck",
    "--loose",
    "--silent",
    "--disableTelemetry",
  ];
  args.push(...(inMemory ? ["--inMemoryPersistence"] : ["--location", location]));
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.once("error", (error) => {
    output += `\n${error.message}`;
    exited = { code: -1, signal: null };
  });
  const forget = killWithParent(child);
  const onExit = () => {
    if (ownLocation) rmSync(location, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  // The emulator must not keep a notebook or test process alive on its own.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void })?.unref?.();

  const url = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(port))) {
    if (exited || Date.now() > deadline) {
      if (!exited) await stopProcess(child, { signal: "SIGKILL" });
      forget();
      process.removeListener("exit", onExit);
      const why = exited && output.trim() ? output.trim().split("\n").slice(-5).join(" | ") : `no answer in ${timeoutMs} ms`;
      throw new StorageError("AZURITE_START", `Azurite did not start on 127.0.0.1:${port} (${why}). Check the port is free${location ? ` and ${location} is writable` : ""}.`);
    }
    await delay(100);
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    connectionString: azuriteConnectionString(url),
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    port,
    location,
    pid: child.pid ?? -1,
    containerUrl: (container, prefix) => `${url}/${container}${prefix ? `/${prefix.replace(/^\/+/, "")}` : ""}`,
    stop: () => {
      stopping ??= (async () => {
        if (!exited) await stopProcess(child); // SIGTERM; SIGKILL after the default grace
        forget();
        process.removeListener("exit", onExit);
        if (ownLocation) rmSync(location, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** True once anything answers HTTP on the port (Azurite answers an unsigned request with 403). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: `/${AZURITE_ACCOUNT}?comp=list`, timeout: 1_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on("error", () => resolve(false));
    request.on("timeout", () => {
      request.destroy();
      resolve(false);
    });
  });
}

async function freePort(): Promise<number> {
  const { default: getPort } = (await importPackage("get-port")) as { default: (options?: { host?: string }) => Promise<number> };
  return getPort({ host: "127.0.0.1" });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

