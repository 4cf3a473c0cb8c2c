export {
  probeBackends,
  selectBackend,
  BACKEND_LADDER,
  TF_BACKEND,
  type BackendName,
  type BackendProbe,
  type ProbeOptions,
} from "./backends.js";
export { BackendError } from "./errors.js";
