// Reading a saved model's metadata and files, checked. Free of TensorFlow.js (the scorers use it).
import { isCustomAiError, openStore, type BlobStore, type OpenStoreOptions } from "../../core/index.js";
import { ModelError } from "../errors.js";
import { validateMetadata, type ModelMetadata } from "../metadata.js";
import { MODEL_FILES, verifyModelFile } from "./files.js";

/** The store at a location, or the store itself. */
export async function storeOf(location: string | BlobStore, options: OpenStoreOptions): Promise<BlobStore> {
  return typeof location === "string" ? openStore(location, options) : location;
}

/**
 * The metadata.json of the model saved at `location` (a folder, a file:// URL, a Blob URL or a
 * BlobStore), read and validated: the typed contract of the model. Throws ModelError
 * MODEL_NOT_FOUND (nothing at the location), BAD_METADATA (no metadata.json beside other files —
 * the save was interrupted or is still under way, since a save writes it last —, or one that is
 * unreadable or invalid) or UNSUPPORTED_METADATA (written by a newer toolkit).
 */
export async function readModelMetadata(location: string | BlobStore, options: OpenStoreOptions = {}): Promise<ModelMetadata> {
  const store = await storeOf(location, options);
  const where = `${store.url}/${MODEL_FILES.metadata}`;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await store.get(MODEL_FILES.metadata);
  } catch (error) {
    if (isCustomAiError(error) && error.code === "STORAGE_FAILED") {
      throw new ModelError("BAD_METADATA", `${where} is unreadable: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (bytes === undefined) {
    const present = await store.list().catch(() => [] as string[]);
    if (present.length === 0) {
      throw new ModelError("MODEL_NOT_FOUND", `No model at ${store.url} (the location is empty): check the location, or save a model there with saveServableModel (lib/models).`);
    }
    throw new ModelError(
      "BAD_METADATA",
      `No ${MODEL_FILES.metadata} at ${store.url} (found ${present.slice(0, 5).join(", ")}${present.length > 5 ? ", ..." : ""}): the model was not saved by saveModel or saveServableModel (lib/models), or its save was interrupted or is still under way (${MODEL_FILES.metadata} is written last). Wait for the save to finish, or save the model again.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new ModelError("BAD_METADATA", `${where} is not valid JSON (${(error as Error).message}): save the model again with saveServableModel (lib/models).`, { cause: error });
  }
  return validateMetadata(raw, where);
}

/**
 * The bytes of one file of the model at `location` (e.g. MODEL_FILES.onnx), checked against the
 * size and sha256 its `metadata` (readModelMetadata's) records; undefined when the file does not
 * exist. A file the metadata records no checksum for (a model saved before checksums were
 * recorded) is returned unchecked. Throws ModelError CHECKSUM_MISMATCH naming the file when it
 * differs from what the save wrote.
 */
export async function readModelFile(location: string | BlobStore, file: string, metadata: ModelMetadata, options: OpenStoreOptions = {}): Promise<Uint8Array | undefined> {
  const store = await storeOf(location, options);
  const bytes = await store.get(file);
  if (bytes !== undefined) verifyModelFile(metadata, file, bytes, store.url);
  return bytes;
}
