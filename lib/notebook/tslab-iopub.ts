// tslab publishes every console.log / display as its own iopub message, on a zeromq Publisher it
// creates with default options (ZmqServer.init, dist/jupyter.js), and sends without awaiting or
// catching. Two zeromq limits then lose a fast cell's output, silently:
// - zeromq.js (v6) sends at most 512 messages synchronously per event-loop turn; the next send is
//   deferred, and every send while that one is pending THROWS "Socket is busy writing" (EBUSY).
//   Node's console swallows errors thrown by a stream's write, so console.log lines vanish (~500
//   arrive); a direct process.stdout.write or a tslab display call fails the cell instead; tslab's
//   own `idle` status can be lost the same way.
// - a PUB socket drops messages once a subscriber's queue holds its send high-water mark (1000).
// sendTimeout = 0 makes every send take the synchronous path (a PUB send never blocks), and
// sendHighWaterMark = 0 makes the queue unlimited. The launch code below sets both on the first
// Publisher that binds — tslab's iopub — before tslab loads, then removes itself, so a notebook's
// own Publishers keep zeromq's defaults. bin/tslab-kernel.mjs (the installed kernelspec) does the same.

/**
 * JavaScript for a `node -e` boot script (it uses `require`), run before `tslabMain` loads. It hooks
 * the zeromq of that tslab and of the tslab the working directory resolves: tslab's main() hands
 * over to the latter when there is one (findLocalStartKernel). A failure is reported on stderr and
 * the kernel starts anyway (the runner still flags a cell whose `idle` never came).
 */
export function iopubHookSource(tslabMain: string): string {
  // defineProperty, not assignment: zeromq's native methods are read-only, so `P.bind = ...` would
  // silently do nothing.
  return `try {
  const { createRequire } = require("node:module");
  const mains = [${JSON.stringify(tslabMain)}];
  try { mains.push(createRequire(require("node:path").join(process.cwd(), "noop.js")).resolve("tslab/dist/main.js")); } catch {}
  for (const zmq of new Set(mains.map((m) => createRequire(m).resolve("zeromq")))) {
    const P = require(zmq).Publisher.prototype;
    const own = Object.getOwnPropertyDescriptor(P, "bind"), bind = P.bind;
    Object.defineProperty(P, "bind", { configurable: true, writable: true, value: function (...args) {
      if (own) Object.defineProperty(P, "bind", own); else delete P.bind;
      this.sendTimeout = 0;
      this.sendHighWaterMark = 0;
      return bind.apply(this, args);
    } });
  }
} catch (e) { console.error("custom-ai: could not lift tslab's iopub send limits; large outputs may be lost:", e.message); }`;
}
