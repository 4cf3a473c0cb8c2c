import { CustomAiError } from "../core/index.js";

/**
 * Thrown by lib/models. Codes: MODEL_NOT_FOUND (no model.json at the location, or nothing at
 * all), MODEL_INCOMPLETE (a weights file is missing), CORRUPT_MODEL (model.json unreadable),
 * CORRUPT_WEIGHTS (weights of the wrong size or checksum), CHECKSUM_MISMATCH (a file differs from
 * the size / sha256 metadata.json records for it), BAD_METADATA (metadata.json missing —
 * an interrupted save —, unreadable or invalid), METADATA_MISMATCH (metadata that does not fit
 * the model or what the caller expects), UNSUPPORTED_METADATA (written by a newer toolkit),
 * BAD_OPTION (hashData input).
 */
export class ModelError extends CustomAiError {}
