// The simple scoring API: POST /score with JSON rows (or, for an image model, one image's bytes),
// answered with one prediction per row.
import { parseScoreRows } from "./parse-request.js";
import { toPrediction, type Prediction } from "./postprocess.js";
import { addRoute, type ScoringContext } from "./scoring-context.js";
import { scoreRows } from "./score-rows.js";

/**
 * The 200 answer's shape, for fastify's compiled serializer (fast-json-stringify: cheaper than
 * JSON.stringify per answer). Every field a Prediction can have (postprocess.ts); error answers
 * are not covered and are serialized as before.
 */
const SCORE_RESPONSE = {
  200: {
    type: "object",
    properties: {
      model: { type: "string" },
      predictions: {
        type: "array",
        items: {
          type: "object",
          properties: {
            label: { type: "string" },
            probabilities: { type: "object", additionalProperties: { type: "number" } },
            value: { type: "number" },
            outputs: { type: "array", items: { type: "number" } },
          },
        },
      },
    },
  },
};

export function addScoreRoutes(ctx: ScoringContext): void {
  // One image per request as its raw bytes (image models); the format is sniffed from the bytes.
  ctx.app.addContentTypeParser(["image/png", "image/jpeg"], { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  addRoute(ctx, "POST", "/score", async (req) => {
    const m = ctx.state.require().model;
    const rows = parseScoreRows(req.body, m, ctx.opts.maxQueue);
    const parsed = rows instanceof Promise ? await rows : rows;
    const out = await scoreRows(ctx.state, ctx.metrics, parsed);
    const predictions: Prediction[] = [];
    for (let r = 0; r < parsed.rows; r++) predictions.push(toPrediction(out.data.subarray(r * out.width, (r + 1) * out.width), m.labels));
    return { model: m.name, predictions };
  }, undefined, { response: SCORE_RESPONSE });
}
