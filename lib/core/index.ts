export { CustomAiError, isCustomAiError } from "./errors.js";
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
