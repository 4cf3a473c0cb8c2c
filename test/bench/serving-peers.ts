// The servers of the real-time scoring benchmark, each started as its own process with ONE
// worker process on a free loopback port: ours (`custom-ai serve`), FastAPI + uvicorn, Flask +
// gunicorn (sync worker) and Seldon MLServer with an onnxruntime runtime (test/bench/peers).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import getPort from "get-port";
import { ensureVenv, type PeerVenv } from "./peer-venv.js";
import { startServer, type ServerProcess } from "./server-process.js";

export type ServerKind = "ours" | "fastapi" | "flask" | "mlserver" | "floor";

export const SERVER_LABEL: Record<ServerKind, string> = {
  ours: "ours (fastify + onnxruntime-node)",
  fastapi: "FastAPI + uvicorn + onnxruntime",
  flask: "Flask + gunicorn (sync) + onnxruntime",
  mlserver: "Seldon MLServer + onnxruntime runtime",
  floor: "HTTP floor: fastify, JSON in/out, no model",
};

// Pinned; onnxruntime is the version of onnxruntime-node in package.json (the same kernels).
// uvicorn[standard] brings uvloop and httptools, the fast path a production FastAPI uses.
export const PEER_REQUIREMENTS = ["fastapi==0.165.0", "uvicorn[standard]==0.54.0", "flask==3.1.3", "gunicorn==27.0.1", "onnxruntime==1.30.0", "numpy==2.4.6", "pillow==12.2.0"];
// MLServer pins its own FastAPI (< 0.116), hence a venv of its own.
export const MLSERVER_REQUIREMENTS = ["mlserver==1.7.1", "onnxruntime==1.30.0", "numpy==2.4.6", "pandas==2.3.3"];

export interface Peers {
  python?: PeerVenv;
  mlserver?: PeerVenv;
  /** Why a peer venv could not be made. */
  failed: Partial<Record<"python" | "mlserver", string>>;
}

export async function setupPeers(root: string, log: (l: string) => void): Promise<Peers> {
  const peers: Peers = { failed: {} };
  try {
    peers.python = await ensureVenv(root, "serving-peers", PEER_REQUIREMENTS, log);
  } catch (e) {
    peers.failed.python = (e as Error).message;
    log(`FastAPI / Flask peers unavailable: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    peers.mlserver = await ensureVenv(root, "mlserver", MLSERVER_REQUIREMENTS, log);
  } catch (e) {
    peers.failed.mlserver = (e as Error).message;
    log(`MLServer peer unavailable: ${(e as Error).message.split("\n")[0]}`);
  }
  return peers;
}

export interface LaunchOptions {
  root: string;
  modelDir: string;
  modelName: string;
  peers: Peers;
  /** Extra `custom-ai serve` flags (ours only), e.g. ["--max-queue", "32"]. */
  oursArgs?: string[];
  /** ONNX Runtime intra-op threads of every server (ours: --intra-op-threads; the peers: ORT_INTRA_OP_THREADS). */
  ortThreads: number;
}

/** Starts one server; throws (with its output) when it cannot start or become ready. */
export async function launch(kind: ServerKind, o: LaunchOptions): Promise<ServerProcess> {
  const port = await getPort({ host: "127.0.0.1" });
  const url = `http://127.0.0.1:${port}`;
  const peersDir = path.join(o.root, "test", "bench", "peers");
  const env: NodeJS.ProcessEnv = { MODEL_DIR: o.modelDir, PYTHONUNBUFFERED: "1", ORT_INTRA_OP_THREADS: String(o.ortThreads) };
  const venv = (which: "python" | "mlserver") => {
    const v = o.peers[which];
    if (!v) throw new Error(`its venv could not be made: ${o.peers.failed[which]?.split("\n")[0]}`);
    return v;
  };
  switch (kind) {
    case "ours":
      return startServer({
        name: kind,
        argv: [process.execPath, path.join(o.root, "bin", "custom-ai.mjs"), "serve", "--model", o.modelDir, "--port", String(port), "--log-level", "warn", "--intra-op-threads", String(o.ortThreads), ...(o.oursArgs ?? [])],
        cwd: o.root,
        env: { CUSTOM_AI_TARGET: "local" },
        url,
        readyPath: "/readyz",
      });
    case "floor":
      return startServer({ name: kind, argv: [process.execPath, path.join(peersDir, "http-floor.mjs"), String(port)], cwd: o.root, url, readyPath: "/healthz" });
    case "fastapi":
      return startServer({
        name: kind,
        argv: [path.join(venv("python").bin, "uvicorn"), "fastapi_app:app", "--host", "127.0.0.1", "--port", String(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd: peersDir,
        env,
        url,
        readyPath: "/healthz",
      });
    case "flask":
      return startServer({
        name: kind,
        argv: [path.join(venv("python").bin, "gunicorn"), "--workers", "1", "--worker-class", "sync", "--bind", `127.0.0.1:${port}`, "--log-level", "warning", "flask_app:app"],
        cwd: peersDir,
        env,
        url,
        readyPath: "/healthz",
      });
    case "mlserver": {
      // One model folder per run: settings.json (ports, one process) + model-settings.json.
      const cfg = path.join(o.root, "out", "bench", "mlserver", o.modelName);
      mkdirSync(cfg, { recursive: true });
      const [grpc, metrics] = [await getPort({ host: "127.0.0.1" }), await getPort({ host: "127.0.0.1" })];
      // parallel_workers 0: inference in the server process itself, one process as for the others
      // (MLServer's default of 1 adds a worker process and an IPC hop per request).
      const workers = Number(process.env.BENCH_MLSERVER_WORKERS ?? 0);
      writeFileSync(path.join(cfg, "settings.json"), JSON.stringify({ host: "127.0.0.1", http_port: port, grpc_port: grpc, metrics_port: metrics, parallel_workers: workers, debug: false }, null, 2));
      writeFileSync(path.join(cfg, "model-settings.json"), JSON.stringify({ name: o.modelName, implementation: "mlserver_onnx.OnnxRuntime", parameters: { uri: o.modelDir } }, null, 2));
      return startServer({
        name: kind,
        argv: [path.join(venv("mlserver").bin, "mlserver"), "start", cfg],
        cwd: peersDir,
        env: { ...env, PYTHONPATH: peersDir },
        url,
        readyPath: `/v2/models/${o.modelName}/ready`,
        timeoutMs: 120_000,
      });
    }
  }
}
