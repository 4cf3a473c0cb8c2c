// ARM resource ids: parse a request path into the resource it names (type, name, resource group,
// parent), the way ARM routes them.
export interface ParsedId {
  /** The id as sent (case kept); compare through `key`. */
  id: string;
  key: string;
  subscription: string;
  resourceGroup?: string;
  /** e.g. Microsoft.Compute/virtualMachines, Microsoft.Resources/resourceGroups. */
  type: string;
  name: string;
  /** The id of the resource this one is nested in (a container's account), or of its group. */
  parent?: string;
}

/** Parses /subscriptions/{s}/resourceGroups/{g}[/providers/{ns}/{type}/{name}[/{sub}/{name}...]]; undefined for other paths. */
export function parseId(path: string): ParsedId | undefined {
  const parts = path.split("/").filter(Boolean);
  if (parts[0]?.toLowerCase() !== "subscriptions" || parts.length < 4) return undefined;
  const subscription = parts[1]!;
  if (parts[2]!.toLowerCase() !== "resourcegroups") return undefined;
  const resourceGroup = decodeURIComponent(parts[3]!);
  const groupId = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}`;
  if (parts.length === 4) return { id: groupId, key: groupId.toLowerCase(), subscription, type: "Microsoft.Resources/resourceGroups", name: resourceGroup };
  // The last /providers/ segment decides the type (role assignments live under another resource).
  const lastProviders = parts.map((p) => p.toLowerCase()).lastIndexOf("providers");
  if (lastProviders < 4) return undefined;
  const ns = parts[lastProviders + 1]!;
  const rest = parts.slice(lastProviders + 2);
  if (rest.length < 2 || rest.length % 2 !== 0) return undefined;
  const types = rest.filter((_, i) => i % 2 === 0);
  const name = decodeURIComponent(rest[rest.length - 1]!);
  const id = "/" + parts.join("/");
  const parentParts = lastProviders === 4 && rest.length === 2 ? parts.slice(0, 4) : rest.length > 2 ? parts.slice(0, parts.length - 2) : parts.slice(0, lastProviders);
  let parent = "/" + parentParts.join("/");
  // blobServices/default is implicit: a container's parent is the account.
  if (/\/blobServices\/default$/i.test(parent)) parent = parent.replace(/\/blobServices\/default$/i, "");
  return { id, key: id.toLowerCase(), subscription, resourceGroup, type: `${ns}/${types.join("/")}`, name, parent };
}

export function notFoundBody(p: ParsedId): { error: { code: string; message: string } } {
  if (p.type === "Microsoft.Resources/resourceGroups") return { error: { code: "ResourceGroupNotFound", message: `Resource group '${p.name}' could not be found.` } };
  if (p.type === "Microsoft.Authorization/roleAssignments") return { error: { code: "RoleAssignmentNotFound", message: `The role assignment '${p.name}' is not found.` } };
  return {
    error: {
      code: "ResourceNotFound",
      message: `The Resource '${p.type}/${p.name}' under resource group '${p.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    },
  };
}
