import { CustomAiError } from "../core/index.js";

/** Thrown when a tfjs backend cannot be used: codes BAD_BACKEND (unknown name) and BACKEND_UNAVAILABLE. */
export class BackendError extends CustomAiError {}
