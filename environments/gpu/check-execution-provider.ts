// Says whether ONNX Runtime's GPU providers run on this machine, and if not, why:
//   node bin/run-ts.mjs environments/gpu/check-execution-provider.ts [cuda|webgpu ...] [--json]
// Exit 0 when every provider named (default: cuda) runs a tiny model, else 3.
import { probeProvider } from "../../lib/serve/execution-providers.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const names = args.filter((a) => a !== "--json");
const wanted = (names.length ? names : ["cuda"]) as ("cuda" | "webgpu")[];
let ok = true;
const results: Record<string, unknown> = {};
for (const name of wanted) {
  if (name !== "cuda" && name !== "webgpu") {
    console.error(`usage: check-execution-provider.ts [cuda|webgpu ...] [--json] (not ${JSON.stringify(name)})`);
    process.exit(2);
  }
  const r = await probeProvider(name);
  results[name] = r;
  ok &&= r.ok;
  if (!json) console.log(r.ok ? `${name}: OK, a model runs on it` : `${name}: NOT AVAILABLE: ${r.reason}`);
}
if (json) console.log(JSON.stringify(results));
process.exitCode = ok ? 0 : 3;
