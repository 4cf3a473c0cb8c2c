// The least a deploying identity needs in its namespace: a ServiceAccount, a Role with only the
// verbs lib/k8s uses, and its RoleBinding. An administrator applies these once
// (`custom-ai deploy rbac`); CI then deploys with the ServiceAccount's token.
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ServiceAccount } from "kubernetes-models/v1";
import { checkName, instanceLabels } from "./labels.js";
import { validated, type Manifest } from "./manifest.js";

/** Server-side apply is a patch, and a create when the object is new; undeploy lists by label and deletes. */
const MANAGE = ["get", "list", "create", "patch", "delete"];

/**
 * What lib/k8s does, resource by resource: apply, watch (rollouts and jobs), read the failing pod's
 * events and log, list by label and delete (undeploy). README "Deploy to Kubernetes" lists them.
 */
export const DEPLOYER_RULES: readonly IPolicyRule[] = [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: [...MANAGE, "watch"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: [...MANAGE, "watch"] },
  { apiGroups: ["batch"], resources: ["cronjobs"], verbs: MANAGE },
  { apiGroups: [""], resources: ["services", "secrets"], verbs: MANAGE },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: MANAGE },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: MANAGE },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["events"], verbs: ["list"] },
];

export interface RbacManifestOptions {
  /** The namespace the identity deploys to. Default "default". */
  namespace?: string;
  /** ServiceAccount, Role and RoleBinding name. Default "custom-ai-deployer". */
  name?: string;
}

/** ServiceAccount + Role (DEPLOYER_RULES) + RoleBinding, for an administrator to apply once. */
export function rbacManifests(o: RbacManifestOptions = {}): Manifest[] {
  const name = checkName(o.name ?? "custom-ai-deployer");
  const namespace = o.namespace ?? "default";
  const metadata = { name, namespace, labels: instanceLabels("deployer", name) };
  return [
    validated(new ServiceAccount({ metadata })),
    validated(new Role({ metadata, rules: DEPLOYER_RULES.map((r) => ({ ...r, verbs: [...r.verbs] })) })),
    validated(
      new RoleBinding({
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
        subjects: [{ kind: "ServiceAccount", name, namespace }],
      }),
    ),
  ];
}
