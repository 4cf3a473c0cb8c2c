import "./ort-telemetry.js"; // the toolkit opts out of ONNX Runtime's telemetry: see there
export { CustomAiError, isCustomAiError } from "./errors.js";
export {
  ERROR_CODES,
  EXIT_CODES,
  exitCodeOf,
  isErrorCode,
  type ErrorCode,
  type ErrorCodesOf,
  type ErrorCodeInfo,
  type ErrorClassName,
  type ExitCode,
} from "./error-codes.js";
export { loadConfig, CONFIG_ENV, TARGETS, type Config, type Target } from "./config.js";
export { findPackage, type PackageInfo } from "./packages.js";
export { importPackage } from "./import-package.js";
export {
  environmentReport,
  environmentReportRows,
  type CredentialSource,
  type CredentialStatus,
  type EnvironmentReport,
  type EnvironmentReportOptions,
} from "./env-report.js";
export {
  openStore,
  getJson,
  putJson,
  copyPrefix,
  copyValue,
  openRandomAccess,
  joinKeyUrl,
  type RandomAccessValue,
} from "./storage.js";
export {
  STORAGE_CONNECTION_STRING_ENV,
  type BlobStore,
  type ByteRange,
  type OpenStoreOptions,
  type StoreRetryOptions,
  type TokenCredential,
} from "./storage-types.js";
export { joinKey, normalizeKey } from "./storage-keys.js";
export { parseStorageUrl, joinStorageUrl, type StorageLocation, type FileLocation, type BlobLocation } from "./storage-url.js";
export { FileStore } from "./storage-file.js";
export { StorageError, type StorageErrorCode } from "./storage-errors.js";
export {
  startAzurite,
  azuriteConnectionString,
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  type Azurite,
  type AzuriteOptions,
} from "./storage-azurite.js";
export { toolkitInfo, type ToolkitInfo } from "./toolkit.js";
export {
  stopProcess,
  processExit,
  killWithParent,
  processExists,
  DEFAULT_STOP_GRACE_MS,
  type ProcessEnd,
  type StopProcessOptions,
} from "./child-process.js";
