// The Open Inference Protocol (KServe V2 REST): server and model metadata, health, and infer.
import type { FastifyRequest } from "fastify";
import { RequestError } from "./errors.js";
import type { ScoringModel } from "./model.js";
import { addRoute, type ScoringContext } from "./scoring-context.js";
import { scoreRows } from "./score-rows.js";
import { parseV2Infer, v2ModelMetadata } from "./v2.js";

/** The model a V2 path names: 404 for any name but the served model's, 503 while it loads. */
function v2Model(ctx: ScoringContext, req: FastifyRequest): ScoringModel {
  const name = (req.params as { name: string }).name;
  const m = ctx.state.require().model;
  if (name !== m.name) throw new RequestError(404, `No model "${name}"; this server serves "${m.name}".`);
  return m;
}

async function infer(ctx: ScoringContext, req: FastifyRequest) {
  const m = v2Model(ctx, req);
  const parsed = await parseV2Infer(req.body, m, ctx.opts.maxQueue);
  const out = await scoreRows(ctx.state, ctx.metrics, parsed);
  return {
    model_name: m.name,
    model_version: "1",
    ...(parsed.id !== undefined ? { id: parsed.id } : {}),
    outputs: [{ name: m.outputName, datatype: "FP32", shape: [parsed.rows, out.width], data: Array.from(out.data) }],
  };
}

export function addV2Routes(ctx: ScoringContext): void {
  const { app, state } = ctx;
  addRoute(ctx, "GET", "/v2", async () => ({ name: "custom-ai-scoring", version: "1", extensions: [] }));
  addRoute(ctx, "GET", "/v2/health/live", async () => ({ live: true }));
  addRoute(ctx, "GET", "/v2/health/ready", async (_req, reply) => {
    if (!state.model) reply.code(503);
    return { ready: Boolean(state.model) };
  });
  addRoute(ctx, "GET", "/v2/models/:name", async (req) => v2ModelMetadata(v2Model(ctx, req)));
  addRoute(ctx, "GET", "/v2/models/:name/ready", async (req) => {
    v2Model(ctx, req);
    return { name: state.model!.name, ready: true };
  });
  // Triton's clients send JSON without a JSON content type: this route parses any body as JSON.
  app.register(async (v2) => {
    v2.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
    v2.addHook("preParsing", async (req) => {
      if (req.headers["inference-header-content-length"] !== undefined) {
        throw new RequestError(400, "The binary tensor extension is not supported: send JSON tensors (tritonclient: binary_data=False on inputs and outputs).");
      }
    });
    addRoute(ctx, "POST", "/v2/models/:name/infer", (req) => infer(ctx, req), v2);
  });
}
