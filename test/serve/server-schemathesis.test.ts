// schemathesis, an independent property-based API fuzzer (the project's pinned Python), against the
// OpenAPI document the server publishes at GET /openapi.json, over a real socket on 127.0.0.1: all
// its checks (--checks all), the examples, coverage and fuzzing phases (stateful is asked for too;
// the document has no links, so schemathesis skips it as not applicable), 1,000 generated cases per
// operation that takes input. The document must be the server's truth: every body it allows is
// scored (200), every body it forbids is refused (4xx), a method a path lacks gets 405 + Allow,
// nothing answers 5xx, and every answer fits its declared schema.
//
// Two rules of the API cannot be said in JSON Schema (a V2 tensor holds as many values as its
// shape says; an image is a real PNG / JPEG of the model's size): fixtures/schemathesis_hooks.py
// satisfies them in schemathesis's positive cases only, and says why. One check setting, no check
// excluded: negative_data_rejection's accepted statuses gain 413 (schemathesis's defaults lack it),
// the status this server gives, and documents, for a batch over its row limit (RFC 9110 "Content
// Too Large") — a refusal like 400.
//
// Cost on 2 shared cores: about 20 s for the tabular model and 50-60 s for the image model, nearly
// all of it schemathesis generating cases (the server used 6 s of CPU in the longest run). The image
// model is the digits CNN at 12×12 pixels (saveSmallDigitsModel): generating 1,000 instances of 784
// values each made the 28×28 run take 3 min 17 s (also 0 failures); CAI_SCHEMATHESIS_DIGITS=28 runs
// that one. CAI_SCHEMATHESIS_SEED replaces the fixed seed.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startScoringServer } from "../../lib/serve/index.js";
import { projectPython } from "../support/python.js";
import { tempDir } from "../support/temp.js";
import { jpegOf, pixels, png, saveDigitsModel, saveSmallDigitsModel } from "./image-helpers.js";
import { saveTinyModel } from "./server-helpers.js";

const EXAMPLES = 1000;
/** The server's maxQueue, so the document's row limit: small, so that generated batches stay cheap. */
const MAX_ROWS = 4;
const SEED = process.env.CAI_SCHEMATHESIS_SEED ?? "20261204";
const DIGITS_SIZE = Number(process.env.CAI_SCHEMATHESIS_DIGITS ?? 12);
/** The whole schemathesis process, killed beyond this. */
const PROCESS_TIMEOUT_MS = 270_000;
const FIXTURES = path.join(import.meta.dirname, "fixtures");

/** Every check of schemathesis 4.32 (`--checks all`), and max_response_time (`--max-response-time`). */
const ALL_CHECKS = [
  "not_a_server_error",
  "status_code_conformance",
  "content_type_conformance",
  "response_headers_conformance",
  "response_schema_conformance",
  "negative_data_rejection",
  "positive_data_acceptance",
  "missing_required_header",
  "unsupported_method",
  "allow_header_conformance",
  "use_after_free",
  "ensure_resource_availability",
  "ignored_auth",
  "object_level_authorization",
  "max_response_time",
];

const CONFIG = `# Written by test/serve/server-schemathesis.test.ts.
# schemathesis's defaults plus 413: the server refuses a batch over its row limit with 413.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
`;

interface Run {
  code: number | null;
  output: string;
  /** "<operation>: <code> <title>" for each failure or error in the JUnit report. */
  failures: string[];
  /** Cases and answers per phase and operation, from the NDJSON report. */
  scenarios: { phase: string; operation: string; cases: number; statuses: Record<string, number> }[];
  /** The checks that ran, from the NDJSON report. */
  checks: Set<string>;
  /** "<operation>: <check> (<code>)" for each check that failed, from the NDJSON report. */
  failedChecks: string[];
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/** The failures of a JUnit report: per test case (an operation), each check code and title it names. */
function junitFailures(xml: string): string[] {
  const out: string[] = [];
  for (const tc of xml.matchAll(/<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const operation = unescapeXml(tc[1]);
    for (const f of (tc[2] ?? "").matchAll(/<(failure|error)[^>]*?message="([^"]*)"[^>]*>([\s\S]*?)<\/\1>/g)) {
      const text = unescapeXml(f[3]);
      const titles = [...new Set([...text.matchAll(/^- (ST\d+ [^\n]+)$/gm)].map((m) => m[1]))];
      out.push(`${operation}: ${titles.length ? titles.join("; ") : `${f[1]} ${unescapeXml(f[2])}: ${text.slice(0, 300)}`}`);
    }
  }
  return out;
}

type CheckResult = { name: string; status: string; failure_info?: { failure?: { code?: string } } };

function ndjsonReport(text: string): Pick<Run, "scenarios" | "checks" | "failedChecks"> {
  const scenarios: Run["scenarios"] = [];
  const checks = new Set<string>();
  const failed = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as { ScenarioFinished?: { phase: string; recorder: { label: string; cases?: object; checks?: Record<string, CheckResult[]>; interactions?: Record<string, { response?: { status_code?: number } }> } } };
    const s = event.ScenarioFinished;
    if (!s?.recorder.cases) continue;
    const statuses: Record<string, number> = {};
    for (const i of Object.values(s.recorder.interactions ?? {})) {
      const code = String(i.response?.status_code ?? "none");
      statuses[code] = (statuses[code] ?? 0) + 1;
    }
    for (const list of Object.values(s.recorder.checks ?? {})) {
      for (const c of list) {
        checks.add(c.name);
        if (c.status !== "success") failed.add(`${s.recorder.label}: ${c.name} (${c.failure_info?.failure?.code ?? c.status}, ${s.phase} phase)`);
      }
    }
    scenarios.push({ phase: s.phase, operation: s.recorder.label, cases: Object.keys(s.recorder.cases).length, statuses });
  }
  return { scenarios, checks, failedChecks: [...failed].sort() };
}

/** Runs schemathesis against a started server, in a temp folder of its own (report, config). */
async function schemathesis(url: string, images?: { png: string[]; jpeg: string[] }): Promise<Run> {
  const work = tempDir("cai-schemathesis-");
  const reportDir = path.join(work, "report");
  writeFileSync(path.join(work, "schemathesis.toml"), CONFIG);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: FIXTURES,
    SCHEMATHESIS_HOOKS: "schemathesis_hooks",
    // No __pycache__ beside the hooks in the checkout.
    PYTHONDONTWRITEBYTECODE: "1",
    NO_COLOR: "1",
  };
  if (images) {
    env.CAI_SCHEMATHESIS_IMAGES = path.join(work, "images.json");
    writeFileSync(env.CAI_SCHEMATHESIS_IMAGES, JSON.stringify(images));
  }
  const args = [
    ...["-m", "schemathesis.cli", "--config-file", path.join(work, "schemathesis.toml"), "run", `${url}/openapi.json`],
    ...["--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", String(EXAMPLES), "--seed", SEED],
    // Every operation: by default schemathesis leaves out the one that serves the document itself.
    ...["--include-path-regex", ".*"],
    // No example database (it would be a .hypothesis folder), no shrinking of a failure's example.
    ...["--generation-database", "none", "--no-shrink"],
    // Bounds of schemathesis's own: per request, per answer (also checked), and failures before it stops.
    ...["--request-timeout", "30", "--max-response-time", "10", "--max-failures", "50"],
    ...["--report", "junit,ndjson", "--report-dir", reportDir, "--no-color"],
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(projectPython(), args, { cwd: work, env, timeout: PROCESS_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}${error?.killed ? `\n(killed after ${PROCESS_TIMEOUT_MS} ms)` : ""}` });
    });
  });
  const files = (() => {
    try {
      return readdirSync(reportDir);
    } catch {
      return [];
    }
  })();
  const junit = files.find((f) => f.endsWith(".xml"));
  const ndjson = files.find((f) => f.endsWith(".ndjson"));
  const failures = junit ? junitFailures(readFileSync(path.join(reportDir, junit), "utf8")) : [];
  const { scenarios, checks, failedChecks } = ndjson ? ndjsonReport(readFileSync(path.join(reportDir, ndjson), "utf8")) : { scenarios: [], checks: new Set<string>(), failedChecks: [] };
  return { code, output, failures, scenarios, checks, failedChecks };
}

/** Asserts 0 failures, then that the run did what it says: every check, 1,000 cases per input-taking operation, scored answers. */
function expectClean(run: Run, operations: string[]) {
  const tail = run.output.slice(-6000);
  const found = `schemathesis found failures (seed ${SEED}):\n${run.failures.join("\n")}\nfailed checks:\n${run.failedChecks.join("\n")}\n\n${tail}`;
  expect(run.failures, found).toEqual([]);
  expect(run.failedChecks, found).toEqual([]);
  expect(run.code, `schemathesis exited ${run.code}:\n${tail}`).toBe(0);
  expect([...run.checks].sort()).toEqual([...ALL_CHECKS].sort());
  for (const operation of operations) {
    const fuzzing = run.scenarios.find((s) => s.phase === "fuzzing" && s.operation === operation);
    const coverage = run.scenarios.find((s) => s.phase === "coverage" && s.operation === operation);
    expect(fuzzing?.cases, `${operation}: fuzzing cases`).toBe(EXAMPLES);
    expect(coverage?.cases, `${operation}: coverage cases`).toBeGreaterThan(50);
    // Schema-valid bodies were scored, not only refused: the document's positive side was exercised.
    expect(fuzzing!.statuses["200"], `${operation}: answers ${JSON.stringify(fuzzing!.statuses)}`).toBeGreaterThan(EXAMPLES / 5);
  }
  // Each route was tried with the methods it lacks (405 + Allow, checked by unsupported_method).
  expect(run.scenarios.filter((s) => s.phase === "coverage" && s.statuses["405"] > 0).length).toBe(10);
  // The numbers for the record (vitest prints them with the test's output).
  console.log(run.scenarios.map((s) => `${s.phase.padEnd(8)} ${s.operation.padEnd(40)} ${String(s.cases).padStart(5)} cases  ${JSON.stringify(s.statuses)}`).join("\n"));
}

describe("schemathesis (all checks, 1,000 cases per operation) finds nothing", () => {
  it("against the tabular model", { timeout: PROCESS_TIMEOUT_MS + 30_000 }, async () => {
    const started = await startScoringServer({ model: (await saveTinyModel()).dir, maxQueue: MAX_ROWS });
    try {
      const run = await schemathesis(started.url);
      expectClean(run, ["POST /score", "POST /v2/models/tiny-classifier/infer"]);
    } finally {
      await started.close();
    }
  });

  it(`against an image model (digits CNN, ${DIGITS_SIZE}×${DIGITS_SIZE})`, { timeout: PROCESS_TIMEOUT_MS + 30_000 }, async () => {
    const size = DIGITS_SIZE;
    const dir = size === 28 ? await saveDigitsModel() : await saveSmallDigitsModel(size);
    const name = size === 28 ? "digits-cnn" : `digits-cnn-${size}`;
    const started = await startScoringServer({ model: dir, maxQueue: MAX_ROWS });
    try {
      const images = {
        png: [1, 2, 3].map((seed) => png(size, size, 1, pixels(size, size, 1, seed)).toString("base64")),
        jpeg: [4, 5].map((seed) => jpegOf(size, size, pixels(size, size, 3, seed)).bytes.toString("base64")),
      };
      const run = await schemathesis(started.url, images);
      expectClean(run, ["POST /score", `POST /v2/models/${name}/infer`]);
    } finally {
      await started.close();
    }
  });
});
