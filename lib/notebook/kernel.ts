// A running kernel: its process, and a client of its shell, control and iopub channels.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import * as zmq from "zeromq";
import { createConnection, endpoint, releasePorts, type ConnectionInfo } from "./connection.js";
import { RunnerError } from "./errors.js";
import type { KernelSpec } from "./kernelspec.js";
import { decode, encode, newHeader, Signer, type Message } from "./wire.js";

/** How long a kernel_info_request waits for its reply before the next is sent, while a kernel starts. */
const KERNEL_INFO_RETRY_MS = 1000;

export interface KernelStartOptions {
  spec: KernelSpec;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** How long the kernel may take to answer its first kernel_info_request. */
  startTimeoutMs?: number;
  /** Stops the start: the kernel is killed and start() rejects with ABORTED. */
  abortSignal?: AbortSignal;
  /** @deprecated Use `abortSignal` (the Azure SDK's name); still honoured. */
  signal?: AbortSignal;
}

export interface ExecuteOutcome {
  reply: Message;
  /** Set when the reply came but the kernel never reported idle on iopub (outputs may be incomplete). */
  idleMissing?: boolean;
}

interface Pending {
  resolve: (msg: Message) => void;
  reject: (err: Error) => void;
}

const STDERR_TAIL = 8192;
/** After a reply, output may extend the wait for `idle` to this many grace windows, no more. */
const MAX_DRAIN_GRACES = 20;
const live = new Set<Kernel>();
process.once("exit", () => {
  for (const k of live) k.kill();
});

export class Kernel {
  readonly session = randomUUID();
  /** Resolves when the kernel process exits, for any reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly signer: Signer;
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  // No receive limit: iopub is read as fast as it arrives, and nothing is dropped on our side either.
  private readonly iopub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, (msg: Message) => void>();
  private stderr = "";
  private closed = false;

  private constructor(
    readonly spec: KernelSpec,
    private readonly child: ChildProcess,
    private readonly info: ConnectionInfo,
    private readonly dir: string,
  ) {
    this.signer = new Signer(info.key);
    live.add(this);
    const collect = (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_TAIL);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exitInfo) return;
        this.exitInfo = { code, signal };
        const err = new RunnerError("KERNEL_DIED", `The kernel exited (${this.describeExit()}).${this.stderrHint()}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve(this.exitInfo);
      };
      child.once("exit", done);
      child.once("error", () => done(null, null));
    });
  }

  static async start(options: KernelStartOptions): Promise<Kernel> {
    const { spec } = options;
    const transport = spec.ipcSeparator ? "ipc" : "tcp";
    const { info, dir, file } = await createConnection(spec.name, transport);
    const argv = spec.argv.map((a) => a.replace("{connection_file}", file));
    let spawnError: Error | undefined;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ...spec.env, CUSTOM_AI_KERNEL_STDIN: "parent" },
      // stdin stays an open pipe: it closes when this process dies, which the built-in tslab
      // launch watches (kernelspec kernels ignore it).
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.once("error", (e) => (spawnError = e));
    const kernel = new Kernel(spec, child, info, dir);
    try {
      // Inside the try: a connect that throws must not leave the kernel process running.
      kernel.connect();
      await kernel.waitReady(options.startTimeoutMs ?? 60_000, options.abortSignal ?? options.signal, () => spawnError);
    } catch (e) {
      kernel.kill();
      await kernel.close();
      throw e;
    }
    return kernel;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return !this.exitInfo;
  }

  /** The last lines the kernel process wrote to stdout/stderr (for error messages). */
  get output(): string {
    return this.stderr;
  }

  /**
   * Sends an execute_request. `onIopub` sees every iopub message this request causes. Resolves once
   * the execute_reply came and the kernel went idle for this request: only then is its output
   * complete (iopub and shell are separate sockets; the reply often overtakes the last outputs).
   * If no `idle` comes within `idleGraceMs` of the reply — a window that restarts with each iopub
   * message of this request, so a long backlog still draining is not cut off — it resolves with
   * `idleMissing`. Rejects with KERNEL_DIED if the process exits.
   */
  execute(code: string, onIopub: (msg: Message) => void, idleGraceMs = 3000): { msgId: string; done: Promise<ExecuteOutcome> } {
    const header = newHeader("execute_request", this.session);
    const done = new Promise<ExecuteOutcome>((resolve, reject) => {
      let reply: Message | undefined;
      let idle = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const finish = (idleMissing?: boolean) => {
        clearTimeout(graceTimer);
        this.listeners.delete(header.msg_id);
        resolve({ reply: reply!, ...(idleMissing ? { idleMissing } : {}) });
      };
      // Output still arriving after the reply is usually a backlog being drained: it extends the
      // wait, to MAX_DRAIN_GRACES windows at most (tslab's header dates cannot tell a backlog from
      // a timer the cell left printing: its reply is dated when the request arrived).
      let replyAt = 0;
      let lastOutputAt = 0;
      const checkIdle = () => {
        const due = Math.min(Math.max(replyAt, lastOutputAt) + idleGraceMs, replyAt + idleGraceMs * MAX_DRAIN_GRACES);
        if (Date.now() >= due) finish(true);
        else graceTimer = setTimeout(checkIdle, due - Date.now());
      };
      this.listeners.set(header.msg_id, (msg) => {
        onIopub(msg);
        if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") {
          idle = true;
          if (reply) finish();
        } else {
          lastOutputAt = Date.now();
        }
      });
      this.pending.set(header.msg_id, {
        resolve: (msg) => {
          reply = msg;
          replyAt = Date.now();
          if (idle) finish();
          else graceTimer = setTimeout(checkIdle, idleGraceMs);
        },
        reject: (err) => {
          clearTimeout(graceTimer);
          this.listeners.delete(header.msg_id);
          reject(err);
        },
      });
    });
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
    void this.send(this.shell, { header, parent_header: {}, metadata: {}, content });
    return { msgId: header.msg_id, done };
  }

  /** Interrupts the running cell the way the kernelspec asks: SIGINT, or an interrupt_request. */
  async interrupt(): Promise<void> {
    if (this.spec.interrupt_mode === "message") {
      await this.request(this.control, "interrupt_request", {}, 2000).catch(() => undefined);
    } else if (this.isAlive) {
      this.child.kill("SIGINT");
    }
  }

  kill(): void {
    // Not `child.killed`: that turns true after an interrupt's SIGINT too.
    if (this.isAlive) this.child.kill("SIGKILL");
  }

  /**
   * Asks the kernel to shut down, kills it if it has not exited after `graceMs`, and frees its sockets.
   * Not lib/core's stopProcess (signal, grace, SIGKILL, reap), on purpose: notebook/ imports no
   * other lib folder (it runs any kernel and is copied out alone), and Jupyter stops a kernel with
   * a message, not a signal — SIGTERM is no part of the kernel protocol. The steps are the same:
   * the request stands for the signal, `graceMs` for the grace, then SIGKILL and `exited` (the
   * reap); the `live` set above stands for core's killWithParent.
   */
  async shutdown(graceMs = 1000): Promise<void> {
    if (this.isAlive) {
      // Once the kernel has answered the shutdown request (or not, within graceMs) nothing of it is
      // needed: kill it rather than wait for an exit that tslab never makes on its own.
      await this.request(this.control, "shutdown_request", { restart: false }, graceMs).catch(() => undefined);
      this.kill();
      await this.exited;
    }
    await this.close();
  }

  private connect(): void {
    const ipc = this.spec.ipcSeparator;
    this.shell.connect(endpoint(this.info, "shell", ipc));
    this.control.connect(endpoint(this.info, "control", ipc));
    this.iopub.connect(endpoint(this.info, "iopub", ipc));
    this.iopub.subscribe();
    void this.receive(this.shell, (msg) => this.onReply(msg));
    void this.receive(this.control, (msg) => this.onReply(msg));
    void this.receive(this.iopub, (msg) => {
      const parent = msg.parent_header.msg_id;
      if (parent) this.listeners.get(parent)?.(msg);
    });
  }

  private async receive(socket: zmq.Dealer | zmq.Subscriber, handle: (msg: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        const msg = decode(this.signer, frames);
        if (msg) handle(msg);
      }
    } catch {
      // The socket was closed.
    }
  }

  private onReply(msg: Message): void {
    const id = msg.parent_header.msg_id;
    const p = id ? this.pending.get(id) : undefined;
    if (p && id) {
      this.pending.delete(id);
      p.resolve(msg);
    }
  }

  private async send(socket: zmq.Dealer, msg: Omit<Message, "buffers">): Promise<void> {
    try {
      await socket.send(encode(this.signer, msg));
    } catch (e) {
      this.pending.get(msg.header.msg_id)?.reject(new RunnerError("KERNEL_DIED", `Could not send to the kernel: ${(e as Error).message}`));
    }
  }

  private request(socket: zmq.Dealer, type: string, content: Record<string, unknown>, timeoutMs: number): Promise<Message> {
    const header = newHeader(type, this.session);
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(header.msg_id);
        reject(new RunnerError("KERNEL_START", `The kernel did not answer ${type} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(header.msg_id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      if (this.exitInfo) this.pending.get(header.msg_id)?.reject(new RunnerError("KERNEL_DIED", `The kernel exited (${this.describeExit()}).`));
      else void this.send(socket, { header, parent_header: {}, metadata: {}, content });
    });
  }

  /**
   * Ready means: shell answers kernel_info_request, and iopub delivers to our subscription (a SUB
   * socket drops what is published before it is connected, so we wait to see a status message).
   */
  private async waitReady(timeoutMs: number, signal: AbortSignal | undefined, spawnError: () => Error | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const fail = (why: string) =>
      new RunnerError("KERNEL_START", `Kernel "${this.spec.name}" (${this.spec.argv[0]}) did not start: ${why}.${this.stderrHint()}`);
    // Stopped by its user while the kernel starts: ABORTED, not a kernel that failed to start.
    const aborted = () => new RunnerError("ABORTED", `The run was stopped (Ctrl-C or its AbortSignal) while kernel "${this.spec.name}" started.`);
    if (signal?.aborted) throw aborted();
    // Removed once the kernel is ready: one run's signal serves every kernel it starts.
    let onAbort: () => void = () => {};
    const abort = new Promise<never>((_, reject) => {
      onAbort = () => reject(aborted());
      signal?.addEventListener("abort", onAbort, { once: true });
      void this.exited.then(() => reject(fail(spawnError()?.message ?? `the process exited (${this.describeExit()})`)));
    });
    abort.catch(() => undefined);
    try {
      await this.pollReady(deadline, timeoutMs, abort, fail, spawnError);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** kernel_info_request until shell answers and iopub has delivered a status message. */
  private async pollReady(deadline: number, timeoutMs: number, abort: Promise<never>, fail: (why: string) => RunnerError, spawnError: () => Error | undefined): Promise<void> {
    let sawIopub = false;
    while (!sawIopub) {
      const left = deadline - Date.now();
      if (left <= 0) throw fail(`no answer within ${Math.round(timeoutMs / 1000)} s (raise --startup-timeout if the machine is slow)`);
      const header = newHeader("kernel_info_request", this.session);
      const seen = new Promise<void>((resolve) => this.listeners.set(header.msg_id, () => resolve()));
      const reply = new Promise<Message>((resolve, reject) => this.pending.set(header.msg_id, { resolve, reject }));
      void this.send(this.shell, { header, parent_header: {}, metadata: {}, content: {} });
      // Asked again every second: tslab binds its sockets all at once, and a request that reaches
      // shell while iopub is still binding is lost (its busy status throws EBUSY, no reply comes).
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.min(left, KERNEL_INFO_RETRY_MS)).unref());
      const got = await Promise.race([reply, abort, timeout]).catch((e: Error) => {
        throw e instanceof RunnerError && (e.code === "KERNEL_START" || e.code === "ABORTED") ? e : fail(spawnError()?.message ?? `the process exited (${this.describeExit()})`);
      });
      if (got === "timeout") {
        this.listeners.delete(header.msg_id);
        this.pending.delete(header.msg_id);
        continue;
      }
      sawIopub = (await Promise.race([seen.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 250))])) as boolean;
      this.listeners.delete(header.msg_id);
      this.pending.delete(header.msg_id);
    }
  }

  private describeExit(): string {
    const e = this.exitInfo;
    if (!e) return "still running";
    return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
  }

  private stderrHint(): string {
    const tail = this.stderr.trim().split("\n").slice(-15).join("\n");
    return tail ? `\nKernel output:\n${tail}` : "";
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    for (const s of [this.shell, this.control, this.iopub]) s.close();
    releasePorts(this.info);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
