#!/usr/bin/env node
// Starts a tslab kernel in the notebook's project root, for Jupyter (the custom-ai-tslab kernelspec).
// tslab compiles cells with rootDir = its working directory, so a notebook can only import
// TypeScript under it; Jupyter starts kernels in the notebook's folder (notebooks/), from which
// ./lib would be out of reach. The headless runner does the same (lib/notebook defaultKernelCwd).
//   node bin/tslab-kernel.mjs kernel --config-path <connection file>
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

function projectRoot(start) {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const root = projectRoot(process.cwd());
if (root) process.chdir(root);
// The project's tslab if it has one, else the toolkit's own.
let tslabMain;
for (const base of [process.cwd(), path.dirname(new URL(import.meta.url).pathname)]) {
  try {
    tslabMain = createRequire(path.join(base, "noop.js")).resolve("tslab/dist/main.js");
    break;
  } catch {
    // try the next base
  }
}
if (!tslabMain) {
  console.error("custom-ai: tslab is not installed here; run npm install in the project first.");
  process.exit(1);
}
liftIopubLimits(tslabMain);
keepBusyWhileQueued(tslabMain);
limitGlobalTypes(tslabMain);
deferWatchers(tslabMain);
process.argv = [process.argv[0], "tslab", ...process.argv.slice(2)];
createRequire(import.meta.url)(tslabMain).main();

/**
 * Nothing a cell prints may be lost. tslab sends each console.log as its own iopub message on a
 * zeromq Publisher with default options, without awaiting: zeromq.js then throws EBUSY on sends
 * past 512 in one event-loop turn (console.log swallows it: the line vanishes), and the PUB socket
 * drops messages past its high-water mark (1000). sendTimeout = 0 keeps every send synchronous, and
 * sendHighWaterMark = 0 lifts the mark, on the first Publisher that binds (tslab's iopub); then the
 * hook is removed. The same as lib/notebook/tslab-iopub.ts does for the runner's direct launch.
 */
function liftIopubLimits(main) {
  try {
    // defineProperty: zeromq's native methods are read-only, an assignment would do nothing.
    const P = createRequire(main)("zeromq").Publisher.prototype;
    const own = Object.getOwnPropertyDescriptor(P, "bind");
    const bind = P.bind;
    Object.defineProperty(P, "bind", {
      configurable: true,
      writable: true,
      value(...args) {
        if (own) Object.defineProperty(P, "bind", own);
        else delete P.bind;
        this.sendTimeout = 0;
        this.sendHighWaterMark = 0;
        return bind.apply(this, args);
      },
    });
  } catch (e) {
    console.error("custom-ai: could not lift tslab's iopub send limits; large outputs may be lost:", e.message);
  }
}

/**
 * Run All in JupyterLab sends every cell's execute_request at once. tslab handles each as it
 * arrives — `busy` for all of them, then the cells run one after another — and publishes `idle`
 * as each one ends, so after the first cell the status bar says Idle while the others still run.
 * Each request keeps its own busy/idle pair (a client waits for its request's idle); after an idle
 * with requests still in flight, this publishes `busy` again for the oldest of them, so the last
 * status a client sees is idle only when nothing is left to run.
 */
function keepBusyWhileQueued(main) {
  try {
    const { ZmqServer } = createRequire(main)("./jupyter.js");
    const publish = ZmqServer.prototype.publishStatus;
    const inFlight = new WeakMap();
    ZmqServer.prototype.publishStatus = function publishStatus(status, parent) {
      let queue = inFlight.get(this);
      if (!queue) inFlight.set(this, (queue = []));
      if (status === "busy") queue.push(parent);
      else if (status === "idle" && queue.includes(parent)) queue.splice(queue.indexOf(parent), 1);
      publish.call(this, status, parent);
      if (status === "idle" && queue.length > 0) publish.call(this, "busy", queue[0]);
    };
  } catch (e) {
    console.error("custom-ai: could not correct tslab's busy/idle for queued cells; JupyterLab may show Idle during Run All:", e.message);
  }
}

/**
 * tslab's TypeScript program loads every package under node_modules/@types as global declarations
 * (53 here) before the kernel answers kernel_info. Only those CUSTOM_AI_TSLAB_TYPES names load
 * automatically (default "node"; "*" = all); an import still finds its package's types. The same
 * as lib/notebook/tslab-types.ts does for the runner's direct launch, which explains the why.
 */
function limitGlobalTypes(main) {
  try {
    const types = (process.env.CUSTOM_AI_TSLAB_TYPES ?? "node").split(",").map((t) => t.trim()).filter(Boolean);
    if (types.includes("*")) return;
    const { sys } = createRequire(main)("@tslab/typescript-for-tslab");
    const list = sys.getDirectories;
    sys.getDirectories = function getDirectories(dir) {
      const found = list.call(this, dir);
      return /[\\/]node_modules[\\/]@types[\\/]?$/.test(dir) ? found.filter((d) => types.includes(d)) : found;
    };
  } catch (e) {
    console.error("custom-ai: could not limit tslab's global @types; the kernel starts slower:", e.message);
  }
}

/**
 * tslab watches every file and lookup folder of its program, so that an edit to lib/ (or a package
 * installed) mid-session reaches the next cell. Setting up those watchers took ~0.7 s of the start;
 * they are set up a second after the kernel is ready instead (a change in between goes unnoticed).
 * The runner's direct launch needs no watching and turns it off.
 */
function deferWatchers(main, delayMs = 1000) {
  try {
    const { sys } = createRequire(main)("@tslab/typescript-for-tslab");
    let pending = new Set();
    let scheduled = false;
    const flush = () => {
      const due = pending;
      pending = undefined;
      for (const start of due) start();
    };
    for (const name of ["watchFile", "watchDirectory"]) {
      const watch = sys[name];
      if (typeof watch !== "function") continue;
      sys[name] = function deferredWatch(...args) {
        if (!pending) return watch.apply(sys, args);
        // The first request comes during the synchronous start: count the delay from its end.
        if (!scheduled) setImmediate(() => setTimeout(flush, delayMs).unref());
        scheduled = true;
        let watcher;
        let closed = false;
        const start = () => {
          if (!closed) watcher = watch.apply(sys, args);
        };
        pending.add(start);
        return {
          close() {
            closed = true;
            pending?.delete(start);
            watcher?.close();
          },
        };
      };
    }
  } catch (e) {
    console.error("custom-ai: could not defer tslab's file watchers:", e.message);
  }
}
