// The files of a saved model and their checksums. Free of TensorFlow.js, as all of lib/models/saved.
import { createHash } from "node:crypto";
import { ModelError } from "../errors.js";
import type { FileChecksum, ModelMetadata } from "../metadata.js";

/**
 * The files of a saved model, relative to its folder or Blob prefix: the one place they are named.
 * - `topology`, `weights`: the tfjs layers model (loadModel reads them back);
 * - `onnx`: its ONNX export, which the scoring server and the batch scorer run;
 * - `metadata`: the model's contract (inputs, labels, preprocessing, metrics) and the checksums of
 *   the other files (its `files` field: size and sha256 by file name). A save writes it last, so
 *   it is also the mark of a complete save: a reader that finds it finds every file it names.
 */
export const MODEL_FILES = { topology: "model.json", weights: "weights.bin", onnx: "model.onnx", metadata: "metadata.json" } as const;

/** `sha256:<hex>` of some bytes: the form metadata.json records. */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The size and sha256 of a file's bytes, as metadata.json's `files` records them. */
export function fileChecksum(bytes: Uint8Array): FileChecksum {
  return { bytes: bytes.byteLength, sha256: sha256Of(bytes) };
}

/**
 * Checks the bytes of `file` against the checksum metadata.json records for it. Returns true when
 * they match, false when the metadata records none (a model saved before checksums were recorded,
 * or a file added beside the save by hand): such a file is not checked. Throws ModelError
 * CHECKSUM_MISMATCH naming the file and what to do when they differ. `where` is the model's URL.
 */
export function verifyModelFile(metadata: ModelMetadata, file: string, bytes: Uint8Array, where: string): boolean {
  const recorded = metadata.files && Object.hasOwn(metadata.files, file) ? metadata.files[file] : undefined;
  if (recorded === undefined) return false;
  const found = fileChecksum(bytes);
  if (found.bytes === recorded.bytes && found.sha256 === recorded.sha256) return true;
  const what =
    found.bytes !== recorded.bytes
      ? `it is ${found.bytes} bytes, ${MODEL_FILES.metadata} records ${recorded.bytes}`
      : `its sha256 is ${found.sha256.slice(7, 19)}…, ${MODEL_FILES.metadata} records ${recorded.sha256.slice(7, 19)}…`;
  throw new ModelError(
    "CHECKSUM_MISMATCH",
    `${where.replace(/\/+$/, "")}/${file} does not match the save that wrote ${MODEL_FILES.metadata} (${what}): it was changed or only partly copied since, or a new save of this model is under way. Copy the whole model folder again, or save the model again with saveServableModel (lib/models).`,
  );
}
