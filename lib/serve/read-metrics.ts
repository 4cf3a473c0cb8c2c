// Reading Prometheus metrics — the scoring server's /metrics, or any exporter's — as numbers.
// prom-client writes the text exposition format but has no parser for it, and the parsers on the
// registry are either unmaintained or pull in a protobuf stack for the other format; the text
// format is line-based and small, so it is read here (comments, labels with escapes, +Inf/NaN).

/** One sample: `name{label="value",...} value`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ScrapedMetrics {
  samples: MetricSample[];
  /** `# TYPE` of each metric family: counter, gauge, histogram, summary, untyped. */
  types: Record<string, string>;
  /**
   * The sum of the samples named `name` whose labels include `labels` (all of them when none are
   * given): a counter over all its label sets, or one series. NaN when no sample matches.
   */
  value(name: string, labels?: Record<string, string>): number;
}

export interface ReadMetricsOptions {
  /** Request headers (an API key: `{ authorization: "Bearer <key>" }`). */
  headers?: Record<string, string>;
  abortSignal?: AbortSignal;
}

/**
 * Metrics from a URL (`http(s)://…/metrics`, fetched with `options.headers`) or from exposition
 * text already read. Throws an Error naming the URL and status when the endpoint does not answer 200.
 */
export async function readMetrics(source: string | URL, options: ReadMetricsOptions = {}): Promise<ScrapedMetrics> {
  const isUrl = source instanceof URL || /^https?:\/\//i.test(source);
  if (!isUrl) return parseMetrics(String(source));
  const res = await fetch(source, { headers: options.headers, signal: options.abortSignal });
  if (!res.ok) throw new Error(`GET ${source} answered ${res.status} ${res.statusText}: ${(await res.text()).slice(0, 200)}`);
  return parseMetrics(await res.text());
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;

/** Parses the Prometheus text exposition format (version 0.0.4). Throws on a line it cannot read. */
export function parseMetrics(text: string): ScrapedMetrics {
  const samples: MetricSample[] = [];
  const types: Record<string, string> = {};
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    if (line.startsWith("#")) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type) types[type[1]] = type[2];
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`Line ${i + 1} is not a Prometheus sample: ${line.slice(0, 120)}`);
    samples.push({ name: m[1], labels: m[3] ? parseLabels(m[3], i + 1) : {}, value: parseValue(m[4]) });
  });
  return {
    samples,
    types,
    value(name, labels = {}) {
      const wanted = Object.entries(labels);
      const matching = samples.filter((s) => s.name === name && wanted.every(([k, v]) => s.labels[k] === v));
      return matching.length === 0 ? NaN : matching.reduce((sum, s) => sum + s.value, 0);
    },
  };
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1]] = m[2].replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    at = LABEL.lastIndex;
  }
  if (text.slice(at).trim() !== "") throw new Error(`Line ${line}: cannot read the labels {${text}}.`);
  return labels;
}

function parseValue(text: string): number {
  if (/^\+?Inf$/i.test(text)) return Infinity;
  if (/^-Inf$/i.test(text)) return -Infinity;
  if (/^NaN$/i.test(text)) return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`"${text}" is not a sample value.`);
  return value;
}
