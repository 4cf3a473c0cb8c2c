// The connection to a cluster: the kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config, or the
// pod's own service account), @kubernetes/client-node loaded on first use (ESM-only; importPackage
// also works where tslab compiles lib/ to CommonJS), and the API server's refusals as KubernetesError.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as K8s from "@kubernetes/client-node";
import { importPackage, isCustomAiError } from "../core/index.js";
import { KubernetesError } from "./errors.js";

export interface KubeOptions {
  /** A kubeconfig file. Default: $KUBECONFIG, else ~/.kube/config, else the pod's service account (in a cluster). */
  kubeconfig?: string;
  /** A context of the kubeconfig. Default: its current context. */
  context?: string;
  /** Default: the manifests', else the context's, else "default". */
  namespace?: string;
}

export interface Cluster {
  k8s: typeof K8s;
  config: K8s.KubeConfig;
  objects: K8s.KubernetesObjectApi;
  core: K8s.CoreV1Api;
  /** The API server's URL. */
  server: string;
  /** KubeOptions.namespace, else the context's namespace, else "default". */
  namespace: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** Reads the kubeconfig and makes the clients. Throws KubernetesError NO_KUBECONFIG. */
export async function connect(o: KubeOptions = {}): Promise<Cluster> {
  const k8s = (await importPackage("@kubernetes/client-node")) as typeof K8s;
  const config = new k8s.KubeConfig();
  const home = path.join(os.homedir(), ".kube", "config");
  let source: string;
  const fail = (why: string) =>
    new KubernetesError("NO_KUBECONFIG", `${why}. Give --kubeconfig <file> (AKS: \`az aks get-credentials --resource-group <rg> --name <cluster> --file <file>\`), set KUBECONFIG, or start the local control plane (environments/k8s-local/README.md).`);
  try {
    if (o.kubeconfig) {
      if (!existsSync(o.kubeconfig)) throw fail(`No kubeconfig at ${o.kubeconfig}`);
      config.loadFromFile(o.kubeconfig);
      source = o.kubeconfig;
    } else if (process.env.KUBECONFIG) {
      const files = process.env.KUBECONFIG.split(path.delimiter).filter(Boolean);
      if (!files.some((f) => existsSync(f))) throw fail(`No kubeconfig at $KUBECONFIG (${process.env.KUBECONFIG})`);
      config.loadFromDefault();
      source = `$KUBECONFIG (${process.env.KUBECONFIG})`;
    } else if (existsSync(home)) {
      config.loadFromFile(home);
      source = home;
    } else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
      config.loadFromCluster();
      source = "the pod's service account";
    } else {
      throw fail("No kubeconfig: none given, $KUBECONFIG is not set and there is no ~/.kube/config");
    }
  } catch (error) {
    if (isCustomAiError(error)) throw error;
    throw new KubernetesError("NO_KUBECONFIG", `The kubeconfig ${o.kubeconfig ?? process.env.KUBECONFIG ?? home} cannot be read: ${(error as Error).message}.`, { cause: error });
  }
  if (o.context) {
    if (!config.getContextObject(o.context)) {
      throw new KubernetesError("NO_KUBECONFIG", `The kubeconfig ${source} has no context ${JSON.stringify(o.context)}; it has ${config.getContexts().map((c) => c.name).join(", ") || "none"}.`);
    }
    config.setCurrentContext(o.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new KubernetesError("NO_KUBECONFIG", `The kubeconfig ${source} has no current context with a cluster: set one (kubectl config use-context <name>) or pass --context.`);
  const namespace = o.namespace || config.getContextObject(config.getCurrentContext())?.namespace || "default";
  return { k8s, config, objects: k8s.KubernetesObjectApi.makeApiClient(config), core: config.makeApiClient(k8s.CoreV1Api), server: cluster.server, namespace, source };
}

/** What was being done, for an error's message. */
export interface Attempt {
  /** The RBAC verb: get, list, watch, create, patch, delete. */
  verb: string;
  kind: string;
  /** The API group, for a refusal without a message (a watch's). */
  group?: string;
  name?: string;
  namespace?: string;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { kind?: string; group?: string; name?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

function statusOf(error: unknown): { code?: number; body: StatusBody } {
  const e = error as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof e?.code === "number" ? e.code : typeof e?.statusCode === "number" ? e.statusCode : undefined;
  let body: unknown = e?.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      body = { message: body };
    }
  }
  return { code, body: (body ?? {}) as StatusBody };
}

/** The HTTP status of a failed request, if it got one. */
export function httpStatus(error: unknown): number | undefined {
  return statusOf(error).code;
}

const NETWORK = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|socket hang up|certificate|self.signed|fetch failed/i;

/** The API server's answer (or silence) as a KubernetesError that says what to do. */
export function toKubernetesError(error: unknown, cluster: Pick<Cluster, "server" | "source">, attempt: Attempt): KubernetesError {
  if (error instanceof KubernetesError) return error;
  const target = `${attempt.kind}${attempt.name ? ` ${attempt.name}` : "s"}${attempt.namespace ? ` in namespace ${attempt.namespace}` : ""}`;
  const { code, body } = statusOf(error);
  const said = body.message ? `: "${body.message}"` : "";
  if (code === undefined) {
    const e = error as { code?: unknown; message?: string; cause?: { code?: unknown; message?: string } };
    const text = `${String(e?.code ?? "")} ${e?.message ?? ""} ${String(e?.cause?.code ?? "")} ${e?.cause?.message ?? ""}`;
    if (NETWORK.test(text)) {
      return new KubernetesError("K8S_UNREACHABLE", `No answer from the Kubernetes API server at ${cluster.server} (kubeconfig ${cluster.source}) to ${attempt.verb} ${target}: ${(e?.cause?.message ?? e?.message ?? text).trim()}.`, { cause: error });
    }
    return new KubernetesError("K8S_UNREACHABLE", `The request to ${attempt.verb} ${target} at ${cluster.server} failed: ${(error as Error)?.message ?? String(error)}.`, { cause: error });
  }
  if (code === 401) {
    return new KubernetesError("K8S_FORBIDDEN", `The API server at ${cluster.server} refused the credential of kubeconfig ${cluster.source} (401 Unauthorized) to ${attempt.verb} ${target}: it is expired or wrong.`, {
      hint: "Get a new credential (AKS: `az aks get-credentials`; a ServiceAccount: a new token), then run it again.",
      cause: error,
    });
  }
  if (code === 403) {
    // e.g. deployments.apps "x" is forbidden: User "system:serviceaccount:ns:sa" cannot patch resource "deployments" in API group "apps" in the namespace "ns"
    const m = /User "([^"]+)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(body.message ?? "");
    const verb = m?.[2] ?? attempt.verb;
    const resource = m?.[3] ?? body.details?.kind ?? attempt.kind;
    const group = m?.[4] ?? body.details?.group ?? attempt.group ?? "";
    return new KubernetesError(
      "K8S_FORBIDDEN",
      `Forbidden: ${m?.[1] ?? "the kubeconfig's user"} may not ${verb} ${resource}${group ? ` (API group "${group}")` : " (core API group)"}${attempt.namespace ? ` in namespace ${attempt.namespace}` : ""}. The toolkit needs the verb "${verb}" on "${resource}"${said}.`,
      { hint: `Grant it: a Role rule { apiGroups: ["${group}"], resources: ["${resource}"], verbs: ["${verb}"] } bound to that user (\`custom-ai deploy rbac\` makes the toolkit's Role).`, cause: error },
    );
  }
  if (code === 409 && body.details?.causes?.some((c) => c.reason === "FieldManagerConflict")) {
    // Each cause: field ".spec.replicas", message 'conflict with "kubectl-edit" using apps/v1'.
    const fields = body.details.causes.filter((c) => c.reason === "FieldManagerConflict").map((c) => `${c.field ?? "?"} (${c.message ?? "another manager"})`);
    return new KubernetesError(
      "K8S_CONFLICT",
      `Server-side apply conflict on ${target}: ${fields.length} field(s) are owned by another field manager: ${fields.join("; ")}. Applying would take them over.`,
      { hint: "Run it again with --force (force: true) to take these fields over, or stop the other manager from setting them.", cause: error },
    );
  }
  if (code === 404 && /namespaces? "[^"]*" not found/.test(body.message ?? "")) {
    return new KubernetesError("K8S_REJECTED", `The namespace ${attempt.namespace} does not exist${said}.`, { hint: `Create it (kubectl create namespace ${attempt.namespace}) or pass another --namespace.`, cause: error });
  }
  if (code >= 500) {
    return new KubernetesError("K8S_UNREACHABLE", `The API server at ${cluster.server} failed to ${attempt.verb} ${target} (${code})${said}.`, { cause: error });
  }
  return new KubernetesError("K8S_REJECTED", `The API server refused to ${attempt.verb} ${target} (${code}${body.reason ? ` ${body.reason}` : ""})${said}.`, { cause: error });
}
