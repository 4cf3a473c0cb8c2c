// The plain form every generator returns: a validated Kubernetes object as JSON, ready for
// server-side apply, `kubectl apply -f`, or YAML.
import { Secret } from "kubernetes-models/v1";
import { KubernetesError } from "./errors.js";

/** A Kubernetes object as JSON, checked against its schema (kubernetes-models' validate). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** Validates a kubernetes-models object and returns it as plain JSON. Throws KubernetesError BAD_OPTION with the schema's complaint. */
export function validated(model: { validate(): void; toJSON(): unknown }): Manifest {
  const json = JSON.parse(JSON.stringify(model)) as Manifest;
  try {
    model.validate();
  } catch (error) {
    throw new KubernetesError("BAD_OPTION", `The ${json.kind} ${json.metadata?.name} is not valid: ${(error as Error).message}. Fix the option that sets it.`, { cause: error });
  }
  return json;
}

/** A Secret of string values (an API key, a storage connection string), labelled like its instance. */
export function secretManifest(name: string, namespace: string | undefined, labels: Record<string, string>, values: Record<string, string>): Manifest {
  return validated(new Secret({ metadata: { name, ...(namespace ? { namespace } : {}), labels }, type: "Opaque", stringData: values }));
}
