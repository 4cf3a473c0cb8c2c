// Real-time scoring, side by side on loopback: our server (`custom-ai serve`) against FastAPI +
// uvicorn, Flask + gunicorn and Seldon MLServer, each one worker process, all scoring the same
// model.onnx, under autocannon at a fixed concurrency with one record (or one image) per request.
// Beside them: the in-process onnxruntime-node ceiling, a soak at 80% of our peak (errors, p99
// per window, RSS growth) and an overload beyond capacity (fast 503s, then recovery).
//   BENCH_DURATION_S (10)   measured seconds per repetition    BENCH_WARMUP_S (3)  warm-up per server
//   BENCH_CONNECTIONS (16)  concurrent connections             BENCH_SOAK_S (60)   soak length
//   BENCH_OVERLOAD_CONNECTIONS (256), BENCH_OVERLOAD_MAX_QUEUE (32)
//   BENCH_IMAGE_PAYLOAD     instances | images | png (default: images when the server takes them)
//   BENCH_ORT_THREADS (1)   ONNX Runtime intra-op threads of every server (ours' default is 1)
//   BENCH_SERVING_CASES     comma list of case ids to run (default: all)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { makeDigitsModel, makeTabularModel, type BenchModel } from "./bench-models.js";
import { median, table } from "./format.js";
import { runLoad, type LoadResult } from "./load.js";
import { ortCeiling, type Ceiling } from "./ort-ceiling.js";
import { RssSampler } from "./proc-tree.js";
import { SERVER_LABEL, launch, setupPeers, type Peers, type ServerKind } from "./serving-peers.js";
import { digitsScore, digitsV2, probe, tabularScore, tabularV2, type ImagePayload } from "./serving-payloads.js";
import type { Payload } from "./load.js";
import type { BenchContext, BenchSuite } from "./suite.js";

const AUTOCANNON_VERSION: string = createRequire(import.meta.url)("autocannon/package.json").version;

const num = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${v}.`);
  return n;
};

/** The image payload: switch here (or with BENCH_IMAGE_PAYLOAD) once /score takes images. */
function imagePayload(root: string): ImagePayload {
  const forced = process.env.BENCH_IMAGE_PAYLOAD;
  if (forced === "instances" || forced === "images" || forced === "png") return forced;
  const parser = readFileSync(path.join(root, "lib", "serve", "parse-request.ts"), "utf8");
  return /["']images["']/.test(parser) ? "images" : "instances";
}

interface ServerRun {
  server: ServerKind;
  label: string;
  failed?: string;
  startS?: number;
  reps: LoadResult[];
  okPerS?: number;
  p50?: number;
  p99?: number;
  errors?: number;
  non2xx?: number;
  peakRssMB?: number;
  serverCpu?: number;
  loadgenCpu?: number;
}

interface CaseResult {
  id: string;
  title: string;
  model: string;
  request: string;
  runs: ServerRun[];
  ceiling?: Ceiling[];
}

const mb = (bytes: number) => bytes / 2 ** 20;
const f0 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "–" : v.toFixed(0));
const f2 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "–" : v.toFixed(2));
const x = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : "–");

function inputName(m: BenchModel): string {
  return JSON.parse(readFileSync(path.join(m.dir, "metadata.json"), "utf8")).inputs[0].name;
}

async function measureServer(kind: ServerKind, m: BenchModel, payload: Payload, ctx: BenchContext, peers: Peers, o: Settings): Promise<ServerRun> {
  const run: ServerRun = { server: kind, label: SERVER_LABEL[kind], reps: [] };
  let srv;
  try {
    srv = await launch(kind, { root: ctx.root, modelDir: m.dir, modelName: m.name, peers, ortThreads: o.ortThreads });
    run.startS = srv.startS;
    const answer = await probe(srv.url, payload);
    if (answer.status !== 200) throw new Error(`it answered ${answer.status} to the benchmark's request: ${answer.body.slice(0, 300)}`);
    await runLoad({ url: srv.url, payload, connections: o.connections, durationS: o.warmupS });
    let peak = 0;
    for (let r = 0; r < ctx.reps; r++) {
      const sampler = new RssSampler(srv.pid, 250);
      const res = await runLoad({ url: srv.url, payload, connections: o.connections, durationS: o.durationS, serverPid: srv.pid });
      sampler.stop();
      peak = Math.max(peak, sampler.peak);
      run.reps.push(res);
      ctx.log(`  ${kind} rep ${r + 1}: ${res.okPerS.toFixed(0)} req/s, p50 ${res.ok.p50.toFixed(2)} ms, p99 ${res.ok.p99.toFixed(2)} ms, ${res.non2xx} non-2xx, ${res.errors} errors, RSS ${mb(sampler.peak).toFixed(0)} MB, CPU server ${res.serverCpu?.toFixed(2)} / autocannon ${res.loadgenCpu.toFixed(2)} cores`);
    }
    run.okPerS = median(run.reps.map((r) => r.okPerS));
    run.p50 = median(run.reps.map((r) => r.ok.p50));
    run.p99 = median(run.reps.map((r) => r.ok.p99));
    run.errors = run.reps.reduce((a, r) => a + r.errors + r.timeouts, 0);
    run.non2xx = run.reps.reduce((a, r) => a + r.non2xx, 0);
    run.peakRssMB = mb(peak);
    run.serverCpu = median(run.reps.map((r) => r.serverCpu ?? NaN));
    run.loadgenCpu = median(run.reps.map((r) => r.loadgenCpu));
  } catch (e) {
    run.failed = (e as Error).message.split("\n").slice(0, 6).join("\n");
    ctx.log(`  ${kind}: FAILED ${run.failed}`);
  } finally {
    await srv?.stop();
  }
  return run;
}

interface Settings {
  durationS: number;
  warmupS: number;
  connections: number;
  soakS: number;
  overloadConnections: number;
  overloadMaxQueue: number;
  ortThreads: number;
  image: ImagePayload;
}

interface SoakResult {
  rate: number;
  result?: LoadResult;
  rssStartMB?: number;
  rssEndMB?: number;
  rssMaxMB?: number;
  growthPct?: number;
  p99First?: number;
  p99Last?: number;
  failed?: string;
}

async function soak(m: BenchModel, payload: Payload, rate: number, ctx: BenchContext, peers: Peers, o: Settings): Promise<SoakResult> {
  const out: SoakResult = { rate };
  let srv;
  try {
    srv = await launch("ours", { root: ctx.root, modelDir: m.dir, modelName: m.name, peers, ortThreads: o.ortThreads });
    await runLoad({ url: srv.url, payload, connections: o.connections, durationS: Math.max(5, o.warmupS), rate });
    const sampler = new RssSampler(srv.pid, 1000);
    out.result = await runLoad({ url: srv.url, payload, connections: o.connections, durationS: o.soakS, rate, windowS: 10, serverPid: srv.pid });
    const samples = sampler.stop();
    out.rssStartMB = mb(samples[0].rss);
    out.rssEndMB = mb(samples[samples.length - 1].rss);
    out.rssMaxMB = mb(Math.max(...samples.map((s) => s.rss)));
    out.growthPct = (100 * (out.rssEndMB - out.rssStartMB)) / out.rssStartMB;
    const w = out.result.windows ?? [];
    out.p99First = w[0]?.p99;
    out.p99Last = w[w.length - 1]?.p99;
  } catch (e) {
    out.failed = (e as Error).message.split("\n").slice(0, 6).join("\n");
  } finally {
    await srv?.stop();
  }
  return out;
}

interface OverloadResult {
  model: string;
  maxQueue: number;
  overload?: LoadResult;
  recovery?: LoadResult;
  share503?: number;
  failed?: string;
}

async function overload(m: BenchModel, payload: Payload, ctx: BenchContext, peers: Peers, o: Settings): Promise<OverloadResult> {
  const out: OverloadResult = { model: m.name, maxQueue: o.overloadMaxQueue };
  let srv;
  try {
    srv = await launch("ours", { root: ctx.root, modelDir: m.dir, modelName: m.name, peers, ortThreads: o.ortThreads, oursArgs: ["--max-queue", String(o.overloadMaxQueue)] });
    await runLoad({ url: srv.url, payload, connections: o.connections, durationS: o.warmupS });
    out.overload = await runLoad({ url: srv.url, payload, connections: o.overloadConnections, durationS: o.durationS, checkRetryAfter: true, serverPid: srv.pid });
    out.share503 = (out.overload.byStatus["503"]?.count ?? 0) / Math.max(1, out.overload.requests);
    out.recovery = await runLoad({ url: srv.url, payload, connections: o.connections, durationS: o.durationS, serverPid: srv.pid });
  } catch (e) {
    out.failed = (e as Error).message.split("\n").slice(0, 6).join("\n");
  } finally {
    await srv?.stop();
  }
  return out;
}

function caseTable(c: CaseResult): string {
  const rows = c.runs.map((r) =>
    r.failed
      ? [r.label, "failed", "", "", "", "", "", ""]
      : [r.label, f0(r.okPerS), f2(r.p50), f2(r.p99), String((r.errors ?? 0) + (r.non2xx ?? 0)), f0(r.peakRssMB), f2(r.serverCpu), f2(r.loadgenCpu)],
  );
  // Rows/s; the p50 column holds the median time of one run.
  for (const ce of c.ceiling ?? []) rows.push([`ceiling: onnxruntime-node in-process, batch ${ce.batch}`, f0(ce.rowsPerS), f2(ce.runMs), "", "", "", "", ""]);
  return table(["server", "req/s", "p50 ms", "p99 ms", "errors", "peak RSS MB", "server CPU", "autocannon CPU"], rows);
}

function caseRatios(c: CaseResult): Record<string, number | undefined> {
  const get = (k: ServerKind) => c.runs.find((r) => r.server === k && !r.failed);
  const ours = get("ours");
  const ratios: Record<string, number | undefined> = {};
  for (const k of ["fastapi", "flask", "mlserver", "floor"] as const) {
    const p = get(k);
    if (ours?.okPerS && p?.okPerS) ratios[`ours/${k} req/s`] = ours.okPerS / p.okPerS;
    if (ours?.p99 && p?.p99) ratios[`p99 ours/${k}`] = ours.p99 / p.p99;
  }
  const one = c.ceiling?.find((ce) => ce.batch === 1);
  if (ours?.okPerS && one) ratios["ours/ceiling (1 record per run)"] = ours.okPerS / one.rowsPerS;
  const b = c.ceiling?.find((ce) => ce.batch > 1);
  if (ours?.okPerS && b) ratios[`ours/ceiling (batch ${b.batch})`] = ours.okPerS / b.rowsPerS;
  return ratios;
}

export const servingRealtimeSuite: BenchSuite = {
  name: "serving-realtime",
  title: "Real-time scoring: our server vs FastAPI, Flask and MLServer on loopback, with the in-process ceiling, a soak and an overload",
  goal: "tabular /score ≥ 3x FastAPI req/s at no worse p99, and ≥ 0.5 of the one-record in-process ceiling; soak at 80% of peak with zero errors, stable p99 and flat RSS; overload answered with fast 503s + Retry-After, then recovery",
  async run(ctx) {
    const o: Settings = {
      durationS: num("BENCH_DURATION_S", 10),
      warmupS: num("BENCH_WARMUP_S", 3),
      connections: num("BENCH_CONNECTIONS", 16),
      soakS: num("BENCH_SOAK_S", 60),
      overloadConnections: num("BENCH_OVERLOAD_CONNECTIONS", 256),
      overloadMaxQueue: num("BENCH_OVERLOAD_MAX_QUEUE", 32),
      ortThreads: num("BENCH_ORT_THREADS", 1),
      image: imagePayload(ctx.root),
    };
    const only = process.env.BENCH_SERVING_CASES?.split(",").map((s) => s.trim());
    const want = (id: string) => !only || only.includes(id);
    ctx.log(`load: autocannon in the bench process (it shares the ${os.cpus().length}-core machine with the servers: its CPU is in the tables), ${o.connections} connections, no pipelining, ${o.warmupS} s warm-up, ${ctx.reps} × ${o.durationS} s measured per server`);

    const modelsDir = path.join(ctx.root, "out", "bench", "models");
    const tab = await makeTabularModel(modelsDir);
    const dig = await makeDigitsModel(modelsDir);
    ctx.log(`models (untrained, exported with exportOnnx): ${path.relative(ctx.root, tab.dir)}, ${path.relative(ctx.root, dig.dir)}`);
    const peers = await setupPeers(ctx.root, ctx.log);

    const specs: { id: string; title: string; m: BenchModel; request: string; payload: Payload; servers: ServerKind[]; ceilingShape: number[] }[] = [
      { id: "tabular-score", title: "Tabular MLP (30 features), one record per request, POST /score", m: tab, request: '{"records":[{30 features}]}', payload: tabularScore(tab), servers: ["ours", "fastapi", "flask", "floor"], ceilingShape: [30] },
      { id: "tabular-v2", title: "Tabular MLP, one record per request, Open Inference Protocol V2 infer", m: tab, request: "V2 JSON, FP32 [1,30]", payload: tabularV2(tab, inputName(tab)), servers: ["ours", "mlserver"], ceilingShape: [30] },
      { id: "digits-score", title: `Digits CNN (28×28×1), one image per request, POST /score`, m: dig, request: o.image === "instances" ? '{"instances":[[784 floats]]}' : o.image === "images" ? '{"images":["<base64 PNG>"]}' : "raw image/png body", payload: digitsScore(dig, o.image), servers: ["ours", "fastapi", "flask"], ceilingShape: [28, 28, 1] },
      { id: "digits-v2", title: "Digits CNN, one image per request, V2 infer", m: dig, request: "V2 JSON, FP32 [1,28,28,1]", payload: digitsV2(dig, inputName(dig)), servers: ["ours", "mlserver"], ceilingShape: [28, 28, 1] },
    ];

    const cases: CaseResult[] = [];
    const ceilings = new Map<string, Ceiling[]>();
    for (const s of specs.filter((s) => want(s.id))) {
      ctx.log(`${s.id}: ${s.title} (${s.request})`);
      if (!ceilings.has(s.m.name)) {
        const c1 = await ortCeiling(s.m.dir, s.m.rows, s.ceilingShape, 1, 3, o.ortThreads);
        const c32 = await ortCeiling(s.m.dir, s.m.rows, s.ceilingShape, 32, 3, o.ortThreads);
        ctx.log(`  ceiling ${s.m.name}: ${c1.rowsPerS.toFixed(0)} rows/s one row per run (${c1.runMs.toFixed(3)} ms), ${c32.rowsPerS.toFixed(0)} rows/s at batch 32`);
        ceilings.set(s.m.name, [c1, c32]);
      }
      const runs: ServerRun[] = [];
      for (const kind of s.servers) runs.push(await measureServer(kind, s.m, s.payload, ctx, peers, o));
      cases.push({ id: s.id, title: s.title, model: s.m.name, request: s.request, runs, ceiling: ceilings.get(s.m.name) });
    }

    // Soak at 80% of our measured peak on the tabular /score case.
    const tabScore = cases.find((c) => c.id === "tabular-score");
    const peak = tabScore?.runs.find((r) => r.server === "ours")?.okPerS;
    let soakResult: SoakResult | undefined;
    if (want("soak") && peak) {
      ctx.log(`soak: ours, tabular /score at 80% of ${peak.toFixed(0)} req/s for ${o.soakS} s`);
      soakResult = await soak(tab, tabularScore(tab), 0.8 * peak, ctx, peers, o);
    }
    // Overload: the tabular model first; the CNN (heavier runs) surely overflows a small queue.
    const overloads: OverloadResult[] = [];
    if (want("overload")) {
      for (const [m, payload] of [
        [tab, tabularScore(tab)],
        [dig, digitsScore(dig, o.image)],
      ] as const) {
        ctx.log(`overload: ours, ${m.name}, ${o.overloadConnections} connections, --max-queue ${o.overloadMaxQueue}, then ${o.connections} connections`);
        overloads.push(await overload(m, payload, ctx, peers, o));
      }
    }

    // Report.
    const parts: string[] = [];
    const ratios: Record<string, Record<string, number | undefined>> = {};
    for (const c of cases) {
      ratios[c.id] = caseRatios(c);
      const rs = Object.entries(ratios[c.id]).map(([k, v]) => `${k} ${v === undefined ? "–" : v.toFixed(2)}`);
      parts.push(`${c.title}\nrequest: ${c.request}; ${o.connections} connections; median of ${ctx.reps} × ${o.durationS} s; ceiling rows: rows/s and the median ms of one run\n${caseTable(c)}\nratios: ${rs.join("; ") || "–"}`);
      const failed = c.runs.filter((r) => r.failed);
      if (failed.length) parts.push(failed.map((r) => `  ${r.label} failed: ${r.failed!.split("\n")[0]}`).join("\n"));
    }
    if (soakResult) {
      const s = soakResult;
      if (s.failed) parts.push(`Soak failed: ${s.failed}`);
      else {
        const w = s.result!.windows ?? [];
        const peerRss = tabScore!.runs.filter((r) => !r.failed).map((r) => `${r.server} ${f0(r.peakRssMB)} MB`).join(", ");
        parts.push(
          `Soak: ours at ${s.rate.toFixed(0)} req/s (80% of peak; autocannon's overallRate, paced per second) for ${o.soakS} s, tabular /score\n` +
            table(["window", "req/s", "p99 ms"], w.map((v) => [`${v.fromS}–${v.fromS + 10} s`, f0(v.okPerS), f2(v.p99)])) +
            `\nheld ${f0(s.result!.okPerS)} req/s (${f0((100 * s.result!.okPerS) / s.rate)}% of the target); errors ${s.result!.errors + s.result!.timeouts}, non-2xx ${s.result!.non2xx}; p99 first ${f2(s.p99First)} ms → last ${f2(s.p99Last)} ms (x${f2((s.p99Last ?? NaN) / (s.p99First ?? NaN))}); ` +
            `RSS after warm-up ${f0(s.rssStartMB)} MB → end ${f0(s.rssEndMB)} MB (${s.growthPct! >= 0 ? "+" : ""}${s.growthPct!.toFixed(1)}%), max ${f0(s.rssMaxMB)} MB\n` +
            `peak RSS under full load (tabular /score): ${peerRss}`,
        );
      }
    }
    for (const ov of overloads) {
      if (ov.failed) {
        parts.push(`Overload ${ov.model} failed: ${ov.failed}`);
        continue;
      }
      const a = ov.overload!;
      const r = ov.recovery!;
      const s503 = a.byStatus["503"];
      parts.push(
        `Overload: ours, ${ov.model}, ${o.overloadConnections} connections, --max-queue ${ov.maxQueue}, ${o.durationS} s, then ${o.connections} connections for ${o.durationS} s\n` +
          table(
            ["phase", "2xx/s", "2xx p50", "2xx p99", "503 share", "503 p50", "503 p99", "other errors"],
            [
              ["overload", f0(a.okPerS), f2(a.ok.p50), f2(a.ok.p99), `${(100 * ov.share503!).toFixed(1)}%`, f2(s503?.p50), f2(s503?.p99), String(a.errors + a.timeouts + a.non2xx - (s503?.count ?? 0))],
              ["recovery", f0(r.okPerS), f2(r.ok.p50), f2(r.ok.p99), `${((100 * (r.byStatus["503"]?.count ?? 0)) / Math.max(1, r.requests)).toFixed(1)}%`, "", "", String(r.errors + r.timeouts + r.non2xx)],
            ],
          ) +
          `\n503s with Retry-After: ${a.retryAfter?.with ?? 0}, without: ${a.retryAfter?.without ?? 0}`,
      );
    }
    parts.push(`Load: autocannon ${AUTOCANNON_VERSION}, in the bench process on the same ${os.cpus().length} cores as the servers (its CPU share is the last column); Python peers: ${Object.entries(peers.python?.versions ?? {}).filter(([k]) => ["fastapi", "uvicorn", "flask", "gunicorn", "onnxruntime", "uvloop", "httptools"].includes(k)).map(([k, v]) => `${k} ${v}`).join(", ") || "unavailable"}; MLServer ${peers.mlserver?.versions.mlserver ?? "unavailable"}`);

    // Verdict.
    const checks: { name: string; pass: boolean | undefined; detail: string }[] = [];
    const tr = ratios["tabular-score"] ?? {};
    const ours = tabScore?.runs.find((r) => r.server === "ours");
    checks.push({ name: "tabular ≥ 3x FastAPI req/s", pass: tr["ours/fastapi req/s"] === undefined ? undefined : tr["ours/fastapi req/s"]! >= 3, detail: f2(tr["ours/fastapi req/s"]) + "x" });
    checks.push({ name: "p99 no worse than FastAPI", pass: tr["p99 ours/fastapi"] === undefined ? undefined : tr["p99 ours/fastapi"]! <= 1, detail: `${f2(ours?.p99)} ms vs ${f2(tabScore?.runs.find((r) => r.server === "fastapi")?.p99)} ms` });
    checks.push({ name: "≥ 0.5 of the one-record ceiling", pass: tr["ours/ceiling (1 record per run)"] === undefined ? undefined : tr["ours/ceiling (1 record per run)"]! >= 0.5, detail: f2(tr["ours/ceiling (1 record per run)"]) });
    if (soakResult && !soakResult.failed) {
      const s = soakResult;
      const errs = s.result!.errors + s.result!.timeouts + s.result!.non2xx;
      checks.push({ name: "soak: zero errors", pass: errs === 0, detail: String(errs) });
      checks.push({ name: "soak: held ≥ 90% of the target rate", pass: s.result!.okPerS >= 0.9 * s.rate, detail: `${f0(s.result!.okPerS)} of ${f0(s.rate)} req/s` });
      checks.push({ name: "soak: p99 stable (last ≤ 1.5x first window)", pass: (s.p99Last ?? Infinity) <= 1.5 * (s.p99First ?? 0), detail: `x${f2((s.p99Last ?? NaN) / (s.p99First ?? NaN))}` });
      checks.push({ name: "soak: RSS flat (≤ 10% growth after warm-up)", pass: s.growthPct! <= 10, detail: `${s.growthPct!.toFixed(1)}%` });
    } else if (want("soak")) checks.push({ name: "soak", pass: false, detail: soakResult?.failed ?? "not run (no peak measured)" });
    const pushed = overloads.filter((v) => !v.failed && v.share503! > 0.01);
    if (want("overload")) {
      const ov = pushed[pushed.length - 1];
      checks.push({ name: "overload: 503s beyond capacity", pass: Boolean(ov), detail: overloads.map((v) => `${v.model} ${v.failed ? "failed" : `${(100 * v.share503!).toFixed(1)}%`}`).join(", ") });
      if (ov) {
        const s503 = ov.overload!.byStatus["503"]!;
        checks.push({ name: "overload: 503 p99 < 100 ms", pass: s503.p99 < 100, detail: `${f2(s503.p99)} ms (${ov.model})` });
        checks.push({ name: "overload: every 503 has Retry-After", pass: (ov.overload!.retryAfter?.without ?? 1) === 0, detail: `${ov.overload!.retryAfter?.with} with, ${ov.overload!.retryAfter?.without} without` });
        const rec = ov.recovery!;
        checks.push({ name: "overload: zero errors right after", pass: rec.errors + rec.timeouts + rec.non2xx === 0, detail: String(rec.errors + rec.timeouts + rec.non2xx) });
      }
    }
    const judged = checks.filter((c) => c.pass !== undefined);
    const pass = judged.length > 0 && judged.every((c) => c.pass) && checks.slice(0, 3).every((c) => c.pass !== undefined);
    const text = `${pass ? "PASS" : "MISS"}: ${checks.map((c) => `${c.name} ${c.pass === undefined ? "n/a" : c.pass ? "ok" : "MISSED"} (${c.detail})`).join("; ")}`;

    return {
      table: parts.join("\n\n"),
      verdict: { pass, text },
      data: {
        settings: { ...o, reps: ctx.reps },
        peers: { python: peers.python?.versions, mlserver: peers.mlserver?.versions, failed: peers.failed },
        cases: cases.map((c) => ({ ...c, ratios: ratios[c.id] })),
        soak: soakResult,
        overload: overloads,
        checks,
      },
    };
  },
};
