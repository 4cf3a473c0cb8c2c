// Turns iopub messages into nbformat outputs, as nbclient does: streams merged, display ids
// updated in place, clear_output honoured (with wait=true, at the next output).
import type { Message } from "./wire.js";
import { sourceText, toLines, type Output } from "./nbformat.js";

type DisplayOutput = Extract<Output, { output_type: "display_data" | "execute_result" }>;

/** Display ids live across cells: update_display_data may change an output of an earlier cell. */
export class DisplayRegistry {
  private readonly byId = new Map<string, DisplayOutput[]>();
  register(id: string, output: DisplayOutput): void {
    const list = this.byId.get(id) ?? [];
    list.push(output);
    this.byId.set(id, list);
  }
  update(id: string, data: Record<string, unknown>, metadata: Record<string, unknown>): void {
    for (const out of this.byId.get(id) ?? []) {
      out.data = data;
      out.metadata = metadata;
    }
  }
}

export class OutputCollector {
  readonly outputs: Output[] = [];
  executionCount: number | null = null;
  /** Everything the cell wrote to stderr, kept to explain a failure. */
  stderr = "";
  private clearPending = false;

  constructor(private readonly displays: DisplayRegistry) {}

  handle(msg: Message): Output | undefined {
    const c = msg.content as Record<string, any>;
    switch (msg.header.msg_type) {
      case "stream": {
        // A cell's error reaches us as stderr text: without the kernel's own frames (see stripKernelFrames).
        const text = c.name === "stderr" ? stripKernelFrames(String(c.text ?? "")) : String(c.text ?? "");
        if (c.name === "stderr") this.stderr += text;
        if (text === "" && c.text) return undefined;
        return this.push({ output_type: "stream", name: c.name === "stderr" ? "stderr" : "stdout", text });
      }
      case "display_data":
      case "execute_result": {
        const out: DisplayOutput =
          msg.header.msg_type === "display_data"
            ? { output_type: "display_data", data: c.data ?? {}, metadata: c.metadata ?? {} }
            : { output_type: "execute_result", execution_count: c.execution_count ?? null, data: c.data ?? {}, metadata: c.metadata ?? {} };
        const id = c.transient?.display_id;
        if (typeof id === "string" && id) this.displays.register(id, out);
        return this.push(out);
      }
      case "update_display_data": {
        const id = c.transient?.display_id;
        if (typeof id === "string" && id) this.displays.update(id, c.data ?? {}, c.metadata ?? {});
        return undefined;
      }
      case "error":
        return this.push({ output_type: "error", ename: String(c.ename ?? "Error"), evalue: String(c.evalue ?? ""), traceback: (c.traceback ?? []).map(String) });
      case "clear_output":
        if (c.wait) this.clearPending = true;
        else this.outputs.length = 0;
        return undefined;
      case "execute_input":
        this.executionCount = c.execution_count ?? this.executionCount;
        return undefined;
      default:
        return undefined;
    }
  }

  get hasErrorOutput(): boolean {
    return this.outputs.some((o) => o.output_type === "error");
  }

  private push(out: Output): Output {
    if (this.clearPending) {
      this.outputs.length = 0;
      this.clearPending = false;
    }
    const last = this.outputs[this.outputs.length - 1];
    if (out.output_type === "stream" && last?.output_type === "stream" && last.name === out.name) {
      last.text = sourceText(last.text) + sourceText(out.text);
      return last;
    }
    this.outputs.push(out);
    return out;
  }
}

/**
 * A stack frame of the kernel's machinery rather than the user's code: tslab's own files (and its
 * TypeScript fork), Node's vm calls tslab runs each cell through, and the kernel's boot script
 * (`node -e`'s [eval], or bin/tslab-kernel.mjs). Paths with / or \\.
 */
const STACK_FRAME = /^\s+at\s/;
const KERNEL_FRAME = /[\\/]node_modules[\\/]@?tslab[\\/]|[\\/]tslab[\\/]dist[\\/]|[\\/]tslab-kernel\.mjs:|[\s(](?:node:vm:|\[eval\](?:-wrapper)?:)/;

/**
 * tslab prints a cell's runtime error with its stack, whose lower frames are tslab's executor and
 * Node's vm: noise to the notebook's reader. Removes those frames and keeps the user's (the cell's
 * `evalmachine.<anonymous>` frames, their imports', Node's own). Other text is kept as it came.
 */
export function stripKernelFrames(text: string): string {
  if (!text.includes(" at ")) return text;
  return text
    .split(/(?<=\n)/)
    .filter((line) => !(STACK_FRAME.test(line) && KERNEL_FRAME.test(line)))
    .join("");
}

/** Jupyter stores multi-line output text as lists of lines; do the same when writing. */
export function normaliseOutputs(outputs: Output[]): Output[] {
  return outputs.map((o) => {
    if (o.output_type === "stream") return { ...o, text: toLines(sourceText(o.text)) };
    if (o.output_type === "display_data" || o.output_type === "execute_result") {
      const data: Record<string, unknown> = {};
      for (const [mime, v] of Object.entries(o.data)) {
        data[mime] = typeof v === "string" && (mime.startsWith("text/") || mime === "image/svg+xml") ? toLines(v) : v;
      }
      return { ...o, data };
    }
    return o;
  });
}

/**
 * tslab reports a failed cell only with stderr text and an execute_reply of status "error" (never
 * an iopub error message). This builds the error output a reader and a test can see.
 */
export function errorFromStderr(stderr: string, fallback: string): Extract<Output, { output_type: "error" }> {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  const typeErrors = lines.filter((l) => /^\d+:\d+ - /.test(l));
  if (typeErrors.length > 0) {
    const hint = typeErrors.some((l) => l.includes("is not under 'rootDir'"))
      ? ["Hint: tslab only imports TypeScript files under the kernel's working directory; import them relative to it (e.g. ./lib/...)."]
      : [];
    return { output_type: "error", ename: "TypeScriptError", evalue: [...typeErrors, ...hint].join("\n"), traceback: [...lines, ...hint] };
  }
  const thrown = lines.find((l) => /^([A-Z]\w*(Error|Exception)|Error)(\s*\[\w+\])?(: |$)/.test(l.trim()));
  if (thrown) {
    const m = /^([A-Z]\w*)(?:\s*\[\w+\])?(?::\s*(.*))?$/.exec(thrown.trim());
    return { output_type: "error", ename: m?.[1] ?? "Error", evalue: m?.[2] ?? "", traceback: lines };
  }
  return { output_type: "error", ename: "Error", evalue: lines.length ? lines[lines.length - 1] : fallback, traceback: lines.length ? lines : [fallback] };
}
