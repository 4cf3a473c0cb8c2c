import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

/**
 * NO_KUBECONFIG, K8S_UNREACHABLE, K8S_FORBIDDEN (names the verb and resource), K8S_CONFLICT (names
 * the field manager and fields), K8S_REJECTED, ROLLOUT_FAILED / JOB_FAILED (with the failing pod's
 * events and last log lines), K8S_TIMEOUT, ABORTED, BAD_OPTION.
 */
export type KubernetesErrorCode = ErrorCodesOf<"KubernetesError">;

/** Thrown by lib/k8s: manifests from bad options, and the API server's and the workloads' failures, explained. */
export class KubernetesError extends CustomAiError<KubernetesErrorCode> {}
