// Scoring in this process exactly as the server does — the same loader, request parsing and
// checks, preprocessing (the metadata's scaler, or image decoding) and output reading — without
// HTTP or batching: to check what a server or a batch job returned, or to score in a notebook.
import { RequestError } from "./errors.js";
import { loadScoringModel, type LoadScoringModelOptions, type ScoringModel } from "./model.js";
import { decodeImages, parseScoreBody, type ParsedRows } from "./parse-request.js";
import { toPrediction, type Prediction } from "./postprocess.js";

/** A row to score: a record of feature values, the values in the input's order (an instance), or an image file (PNG / JPEG bytes). */
export type InProcessRow = Record<string, unknown> | readonly unknown[] | Uint8Array;

export interface InProcessScores {
  /** The model's output per row: one value per class label (classifiers), in `classLabels` order. */
  outputs: number[][];
  /** Each row read as /score answers it (label and probabilities, or a value). */
  predictions: Prediction[];
  /** The names of the output columns: the metadata's labels, or "0", "1", ... */
  classLabels: string[];
}

export type ScoreInProcessOptions = LoadScoringModelOptions;

/**
 * Scores `rows` with a model — a folder or storage URL (loaded, used and released here), or a
 * model loaded with loadScoringModel — through the server's own steps: rows checked as /score
 * checks them (RequestError 400 naming the field), the metadata's preprocessing, one ONNX Runtime
 * run, outputs read as /score reads them.
 */
export async function scoreInProcess(model: string | ScoringModel, rows: readonly InProcessRow[], options: ScoreInProcessOptions = {}): Promise<InProcessScores> {
  const loaded = typeof model === "string" ? await loadScoringModel(model, options) : model;
  try {
    if (rows.length === 0) return { outputs: [], predictions: [], classLabels: loaded.classLabels };
    const parsed = await parseRows(rows, loaded);
    loaded.preprocess(parsed.data, parsed.rows);
    const { data, width } = await loaded.run(parsed.data, parsed.rows);
    const outputs: number[][] = [];
    const predictions: Prediction[] = [];
    for (let r = 0; r < parsed.rows; r++) {
      const row = data.subarray(r * width, (r + 1) * width);
      outputs.push(Array.from(row));
      predictions.push(toPrediction(row, loaded.labels));
    }
    return { outputs, predictions, classLabels: loaded.classLabels };
  } finally {
    if (loaded !== model) await loaded.release();
  }
}

/** All rows of one kind, parsed as the server parses a request body of them. */
async function parseRows(rows: readonly InProcessRow[], model: ScoringModel): Promise<ParsedRows> {
  if (rows.every((r) => r instanceof Uint8Array)) {
    if (!model.decodeImage) throw new RequestError(400, `Model "${model.name}" does not take images (its metadata has no image step): give records or instances.`);
    return { data: await decodeImages(rows as Uint8Array[], model, (i) => `rows[${i}]`), rows: rows.length };
  }
  if (rows.every((r) => Array.isArray(r))) return parseScoreBody({ instances: rows }, model, rows.length);
  if (rows.some((r) => Array.isArray(r) || r instanceof Uint8Array)) throw new RequestError(400, "scoreInProcess takes rows of one kind: all records, all instances (arrays) or all images.");
  return parseScoreBody({ records: rows }, model, rows.length);
}
