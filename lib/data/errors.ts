import { CustomAiError } from "../core/index.js";

/**
 * Thrown by lib/data. Codes: BAD_SPEC (a plot spec vega cannot compile or render), REMOTE_DATA (a
 * plot's data.url is remote: refused, never fetched), DATA_LOAD (a local data file could not be read).
 */
export class DataError extends CustomAiError {}
