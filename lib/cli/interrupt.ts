// Ctrl-C in a long command: the first one aborts the command's AbortSignal (the library then stops
// what it runs and keeps what finished); a second one gets Node's default and ends the process.

export interface Interruptible {
  signal: AbortSignal;
  /** Removes the handler: call it when the command ends, however it ends. */
  done: () => void;
}

export interface InterruptOptions {
  /** Tells the user what stopping keeps (before the abort). */
  say?: () => void;
  /** The signal's reason. Default: the standard AbortError. */
  reason?: unknown;
}

/** Listens for one SIGINT, which aborts the returned signal. */
export function interruptible(o: InterruptOptions = {}): Interruptible {
  const controller = new AbortController();
  const onSigint = () => {
    o.say?.();
    controller.abort(o.reason);
  };
  process.once("SIGINT", onSigint);
  return { signal: controller.signal, done: () => process.off("SIGINT", onSigint) };
}
