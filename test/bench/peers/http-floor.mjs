// The HTTP floor of the serving benchmark: fastify parsing the same JSON body and answering a
// fixed prediction, with no model, no validation and no batching. What one Node process on this
// machine can do at all for a POST with JSON in and out: no scoring server built on it is faster.
// Run: node http-floor.mjs <port>
import { fastify } from "fastify";

const app = fastify({ logger: false });
const answer = { model: "none", predictions: [{ label: "benign", probabilities: { malignant: 0.25, benign: 0.75 } }] };
app.get("/healthz", async () => ({ status: "ok" }));
app.post("/score", async (req) => (req.body && typeof req.body === "object" ? answer : { error: "no body" }));
await app.listen({ port: Number(process.argv[2]), host: "127.0.0.1" });
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
