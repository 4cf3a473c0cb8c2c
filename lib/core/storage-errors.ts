import { CustomAiError } from "./errors.js";

/**
 * Thrown by the storage helpers (storage URLs, file and Blob stores, the Azurite emulator). Codes:
 * BAD_STORAGE_URL (a URL that is not file://, a path, Azure Blob or Azurite), STORAGE_AUTH (the
 * credential was refused: the message names the one tried), STORAGE_UNREACHABLE (no answer from the
 * endpoint), STORAGE_FAILED (any other failed request), AZURITE_START (the emulator did not start).
 */
export class StorageError extends CustomAiError {}
