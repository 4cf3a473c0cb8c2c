// A small Dockerfile reader for the image tests (test/environments/docker.test.ts): instructions
// per build stage, with line continuations joined and comments dropped. Enough for the checks
// that need no Docker engine; hadolint does the real linting.

export interface Instruction {
  /** Upper-case keyword: FROM, COPY, RUN, ... */
  keyword: string;
  /** The rest of the instruction, continuations joined with a space. */
  args: string;
  /** 1-based line where it starts. */
  line: number;
}

export interface Stage {
  /** The image or stage named by FROM (build args not expanded). */
  from: string;
  /** `AS name`, when given. */
  alias?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM. */
  globalArgs: Instruction[];
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: Instruction | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith("#") || (!pending && line === "")) return;
    const continues = line.endsWith("\\");
    const body = continues ? line.slice(0, -1).trim() : line;
    if (pending) pending.args = `${pending.args} ${body}`.trim();
    else {
      const m = /^(\S+)\s*(.*)$/.exec(body)!;
      pending = { keyword: m[1].toUpperCase(), args: m[2], line: i + 1 };
    }
    if (!continues) {
      instructions.push(pending);
      pending = undefined;
    }
  });
  if (pending) instructions.push(pending);
  const result: Dockerfile = { globalArgs: [], stages: [] };
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      result.stages.push({ from: words[0], ...(words[1]?.toUpperCase() === "AS" ? { alias: words[2] } : {}), instructions: [] });
    } else if (result.stages.length === 0) {
      if (ins.keyword === "ARG") result.globalArgs.push(ins);
    } else result.stages.at(-1)!.instructions.push(ins);
  }
  return result;
}

/** ARG defaults visible in `stage` (its own ARGs over the global ones). */
export function argDefaults(file: Dockerfile, stage: Stage): Record<string, string> {
  const values: Record<string, string> = {};
  for (const ins of [...file.globalArgs, ...stage.instructions.filter((i) => i.keyword === "ARG")]) {
    const m = /^(\w+)(?:=(.*))?$/.exec(ins.args.trim());
    if (m && m[2] !== undefined) values[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return values;
}

/** `$NAME` and `${NAME}` replaced by `values`; unknown names left as they are. */
export function expand(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => values[(a ?? b)!] ?? whole);
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}

/** A COPY's `--from`, sources and destination (shell form; the project's Dockerfiles use no JSON form). */
export function parseCopy(ins: Instruction, values: Record<string, string> = {}): Copy {
  const words = expand(ins.args, values).split(/\s+/).filter(Boolean);
  const flags = words.filter((w) => w.startsWith("--"));
  const paths = words.filter((w) => !w.startsWith("--"));
  const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)!, line: ins.line };
}

/** The exec-form (JSON array) argument of ENTRYPOINT / CMD, or undefined for the shell form. */
export function execForm(ins: Instruction | undefined): string[] | undefined {
  if (!ins) return undefined;
  try {
    const value: unknown = JSON.parse(ins.args);
    return Array.isArray(value) ? value.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** The last instruction with `keyword` in a stage. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
