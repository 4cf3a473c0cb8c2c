// An in-process fake of Azure Resource Manager's HTTP contract, handed to the real SDK clients as
// their `httpClient`: PUT/PATCH/GET/DELETE of resources with provisioningState, long-running
// operations polled through Azure-AsyncOperation or Location, paged lists with nextLink, 429 with
// Retry-After and ARM error bodies through failure injection. It records every request and the
// start and end of every write, for tests to assert order, concurrency and idempotency.
import { randomUUID } from "node:crypto";
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { behaviorOf, type Json, type Polling } from "./behaviors.js";
import { DEFAULT_SKUS, DEFAULT_USAGES, page, skuJson, usageJson, type FakeSku, type FakeUsage } from "./catalog.js";
import { errorBody, matches, type Fault } from "./faults.js";
import { notFoundBody, parseId, type ParsedId } from "./ids.js";

export interface ArmRequest {
  method: string;
  path: string;
  url: string;
  status: number;
  at: number;
}

/** A write's life: `start` at the first request, `end` when it (or its long-running operation) finished. */
export interface ArmEvent {
  phase: "start" | "end";
  verb: "put" | "delete" | "action";
  /** Lowercased type, e.g. microsoft.compute/virtualmachines. */
  type: string;
  name: string;
  at: number;
  failed?: boolean;
}

interface Operation {
  id: string;
  verb: "put" | "delete" | "action";
  target: ParsedId;
  polls: number;
  done: boolean;
  error?: { code: string; message: string };
  finish(): void;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeArm {
  readonly base: string;
  readonly requests: ArmRequest[] = [];
  readonly events: ArmEvent[] = [];
  /** Stored resources by lowercased id. */
  readonly store = new Map<string, { id: ParsedId; body: Json }>();
  readonly power = new Map<string, string>();
  skus: FakeSku[] = structuredClone(DEFAULT_SKUS);
  usages: FakeUsage[] = structuredClone(DEFAULT_USAGES);
  /** Polls that answer InProgress before a long-running operation ends. */
  pollsBeforeDone = 1;
  /** Delay of every answer (lets concurrent requests overlap measurably). */
  latencyMs = 3;
  /** Items per page of a list. */
  pageSize = 2;
  /** The most writes open at once (started, long-running operation not ended). */
  maxOpenWrites = 0;
  #open = 0;
  #faults: (Fault & { left: number })[] = [];
  #ops = new Map<string, Operation>();
  #t0 = performance.now();

  readonly httpClient: HttpClient = { sendRequest: (request) => this.#send(request) };

  constructor(base = "https://management.azure.com") {
    this.base = base.replace(/\/+$/, "");
  }

  /** Makes the next matching request(s) fail. */
  inject(fault: Fault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** PUT, PATCH, DELETE and POST requests (not polls, not GETs). */
  writes(): ArmRequest[] {
    return this.requests.filter((r) => r.method !== "GET" && !/\/listClusterUserCredential$/i.test(r.path));
  }

  /** A stored resource by type (case-insensitive) and name. */
  find(type: string, name: string): Json | undefined {
    for (const { id, body } of this.store.values()) if (id.type.toLowerCase() === type.toLowerCase() && id.name === name) return body;
    return undefined;
  }

  /** Stores a resource as if someone else had made it (no write recorded). */
  seed(path: string, body: Json): void {
    const id = parseId(path)!;
    this.store.set(id.key, { id, body: this.#stored(id, structuredClone(body), "Succeeded") });
  }

  #now(): number {
    return performance.now() - this.#t0;
  }

  #event(phase: ArmEvent["phase"], verb: ArmEvent["verb"], id: ParsedId, failed = false): void {
    this.events.push({ phase, verb, type: id.type.toLowerCase(), name: id.name, at: this.#now(), ...(failed ? { failed } : {}) });
    this.#open += phase === "start" ? 1 : -1;
    this.maxOpenWrites = Math.max(this.maxOpenWrites, this.#open);
  }

  async #send(request: PipelineRequest): Promise<PipelineResponse> {
    const url = new URL(request.url);
    let reply: Reply;
    if (!/^Bearer \S+/.test(request.headers.get("authorization") ?? "")) {
      reply = { status: 401, body: errorBody("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.") };
    } else {
      const body = typeof request.body === "string" && request.body ? (JSON.parse(request.body) as Json) : undefined;
      reply = this.#fault(request.method, url) ?? this.#route(request.method, url, body);
    }
    await sleep(this.latencyMs);
    this.requests.push({ method: request.method, path: url.pathname, url: request.url, status: reply.status, at: this.#now() });
    const headers = createHttpHeaders({ "x-ms-request-id": randomUUID(), ...(reply.body !== undefined ? { "content-type": "application/json; charset=utf-8" } : {}), ...(reply.headers ?? {}) });
    return { request, status: reply.status, headers, ...(reply.body !== undefined ? { bodyAsText: JSON.stringify(reply.body) } : {}) };
  }

  #operationError: { code: string; message: string } | undefined;

  #fault(method: string, url: URL): Reply | undefined {
    const f = this.#faults.find((x) => x.left > 0 && matches(x, method, url.pathname));
    if (!f) return undefined;
    f.left--;
    if (f.operationError) {
      this.#operationError = f.operationError;
      return undefined;
    }
    return { status: f.status ?? 500, body: errorBody(f.code ?? "InternalServerError", f.message ?? "Injected failure."), ...(f.headers ? { headers: f.headers } : {}) };
  }

  #route(method: string, url: URL, body: Json | undefined): Reply {
    const path = url.pathname;
    const op = /\/providers\/[^/]+\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/i.exec(path);
    if (op && method === "GET") return this.#poll(op[1]!.toLowerCase() === "operations" ? "async" : "location", op[2]!);
    if (method === "GET" && /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/skus$/i.test(path)) {
      const location = /location eq '([^']+)'/.exec(url.searchParams.get("$filter") ?? "")?.[1];
      return { status: 200, body: page(this.skus.filter((s) => !location || s.locations.includes(location)).map(skuJson), url, this.pageSize) };
    }
    if (method === "GET" && /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/locations\/[^/]+\/usages$/i.test(path)) {
      return { status: 200, body: page(this.usages.map(usageJson), url, this.pageSize) };
    }
    const groupList = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\/resources$/i.exec(path);
    if (method === "GET" && groupList) return this.#listGroup(groupList[1]!, url);
    if (method === "POST") return this.#action(path);
    const id = parseId(path);
    if (!id) return { status: 404, body: errorBody("InvalidResourceType", `No route for ${method} ${path}.`) };
    if (method === "GET") return this.#get(id, url);
    if (method === "PUT" || method === "PATCH") return this.#put(id, body ?? {}, method === "PATCH");
    if (method === "DELETE") return this.#delete(id);
    return { status: 405, body: errorBody("MethodNotAllowed", `${method} is not supported.`) };
  }

  #stored(id: ParsedId, body: Json, state: string): Json {
    const type = id.type === "Microsoft.Resources/resourceGroups" ? "Microsoft.Resources/resourceGroups" : id.type;
    const stored: Json = { ...body, id: id.id, name: id.name, type, properties: { ...(body.properties ?? {}), provisioningState: state } };
    if (type !== "Microsoft.Authorization/roleAssignments" && !type.includes("/blobServices/")) stored.tags ??= {};
    if (stored.location) stored.location = String(stored.location).toLowerCase().replaceAll(" ", "");
    behaviorOf(type).fill?.(stored, id);
    return stored;
  }

  #get(id: ParsedId, url: URL): Reply {
    const found = this.store.get(id.key);
    if (!found) return { status: 404, body: notFoundBody(id) };
    const body = structuredClone(found.body);
    if (/instanceView/i.test(url.searchParams.get("$expand") ?? "") && id.type.toLowerCase() === "microsoft.compute/virtualmachines") {
      body.properties.instanceView = { statuses: [{ code: `ProvisioningState/${String(body.properties.provisioningState).toLowerCase()}` }, { code: `PowerState/${this.power.get(id.key) ?? "running"}` }] };
    }
    return { status: 200, body };
  }

  #operationUrl(id: ParsedId, kind: "operations" | "operationResults", opId: string): string {
    const ns = id.type.split("/")[0];
    const location = this.store.get(id.key)?.body.location ?? "eastus";
    return `${this.base}/subscriptions/${id.subscription}/providers/${ns}/locations/${location}/${kind}/${opId}?api-version=2024-01-01`;
  }

  /** Answers a write: at once (sync), or as a long-running operation the client polls. */
  #longRunning(id: ParsedId, verb: Operation["verb"], polling: Polling, status: number, body: unknown, finish: () => void): Reply {
    const error = this.#operationError;
    this.#operationError = undefined;
    this.#event("start", verb, id);
    if (polling === "sync" && !error) {
      finish();
      this.#event("end", verb, id);
      return { status, ...(body !== undefined ? { body } : {}) };
    }
    const opId = randomUUID();
    const operation: Operation = { id: opId, verb, target: id, polls: 0, done: false, finish, ...(error ? { error } : {}) };
    this.#ops.set(opId, operation);
    if (polling === "location" && !error) {
      return { status: 202, headers: { location: this.#operationUrl(id, "operationResults", opId), "retry-after": "0" } };
    }
    const headers: Record<string, string> = { "azure-asyncoperation": this.#operationUrl(id, "operations", opId) };
    if (verb !== "put") headers.location = this.#operationUrl(id, "operationResults", opId);
    return { status: verb === "put" ? status : 202, headers, ...(verb === "put" ? { body } : {}) };
  }

  #complete(operation: Operation): void {
    if (operation.done) return;
    operation.done = true;
    if (operation.error) {
      const found = this.store.get(operation.target.key);
      if (found && operation.verb === "put") found.body.properties.provisioningState = "Failed";
      this.#event("end", operation.verb, operation.target, true);
      return;
    }
    operation.finish();
    this.#event("end", operation.verb, operation.target);
  }

  #poll(kind: "async" | "location", opId: string): Reply {
    const operation = this.#ops.get(opId);
    if (!operation) return { status: 404, body: errorBody("OperationNotFound", `Operation ${opId} was not found.`) };
    if (!operation.done && ++operation.polls <= this.pollsBeforeDone) {
      if (kind === "async") return { status: 200, body: { id: opId, name: opId, status: "InProgress", startTime: new Date().toISOString() } };
      return { status: 202, headers: { location: this.#operationUrl(operation.target, "operationResults", opId), "retry-after": "0" } };
    }
    this.#complete(operation);
    if (kind === "async") {
      return operation.error
        ? { status: 200, body: { id: opId, name: opId, status: "Failed", error: operation.error } }
        : { status: 200, body: { id: opId, name: opId, status: "Succeeded", endTime: new Date().toISOString() } };
    }
    if (operation.verb === "put") return { status: 200, body: this.store.get(operation.target.key)?.body };
    // Compute answers an action's (start, deallocate...) result with 200, a delete's with 204.
    return { status: operation.verb === "action" ? 200 : 204 };
  }

  #put(id: ParsedId, body: Json, patch: boolean): Reply {
    if (id.parent && !this.store.has(id.parent.toLowerCase())) {
      const parent = parseId(id.parent);
      return { status: 404, body: parent ? notFoundBody(parent) : errorBody("ParentResourceNotFound", `Parent of ${id.id} not found.`) };
    }
    const existing = this.store.get(id.key);
    if (patch && !existing) return { status: 404, body: notFoundBody(id) };
    const merged: Json = patch ? { ...existing!.body, ...body, tags: body.tags ?? existing!.body.tags, properties: { ...existing!.body.properties, ...(body.properties ?? {}) } } : body;
    const behavior = behaviorOf(id.type);
    const polling = behavior.put;
    const stateNow = polling === "sync" ? "Succeeded" : existing ? "Updating" : "Creating";
    const stored = this.#stored(id, structuredClone(merged), stateNow);
    if (polling !== "location") this.store.set(id.key, { id, body: stored }); // a Location-polled create shows up when done
    return this.#longRunning(id, "put", polling, existing ? 200 : 201, stored, () => {
      const final = polling === "location" ? stored : this.store.get(id.key)!.body;
      final.properties.provisioningState = "Succeeded";
      this.store.set(id.key, { id, body: final });
      if (id.type.toLowerCase() === "microsoft.compute/virtualmachines") this.power.set(id.key, "running");
    });
  }

  #delete(id: ParsedId): Reply {
    const existing = this.store.get(id.key);
    if (!existing) return id.type === "Microsoft.Resources/resourceGroups" ? { status: 404, body: notFoundBody(id) } : { status: 204 };
    const polling = behaviorOf(id.type).delete;
    existing.body.properties.provisioningState = "Deleting";
    return this.#longRunning(id, "delete", polling, 200, undefined, () => {
      for (const key of [...this.store.keys()]) if (key === id.key || key.startsWith(`${id.key}/`)) this.store.delete(key);
    });
  }

  #listGroup(groupId: string, url: URL): Reply {
    const key = groupId.toLowerCase();
    if (!this.store.has(key)) return { status: 404, body: notFoundBody(parseId(groupId)!) };
    const items = [...this.store.values()]
      .filter(({ id }) => id.parent?.toLowerCase() === key && id.type !== "Microsoft.Authorization/roleAssignments")
      .map(({ body }) => ({ id: body.id, name: body.name, type: body.type, location: body.location, tags: body.tags }));
    return { status: 200, body: page(items, url, this.pageSize) };
  }

  #action(path: string): Reply {
    const m = /^(.*)\/([^/]+)$/.exec(path)!;
    const id = parseId(m[1]!);
    const action = m[2]!.toLowerCase();
    if (!id || !this.store.has(id.key)) return { status: 404, body: id ? notFoundBody(id) : errorBody("NotFound", path) };
    const body = this.store.get(id.key)!.body;
    if (action === "listclusterusercredential") {
      const yaml = `apiVersion: v1\nkind: Config\nclusters:\n- name: ${id.name}\n  cluster:\n    server: https://${body.properties.fqdn}:443\ncontexts:\n- name: ${id.name}\n  context: {cluster: ${id.name}, user: clusterUser_${id.resourceGroup}_${id.name}}\ncurrent-context: ${id.name}\nusers:\n- name: clusterUser_${id.resourceGroup}_${id.name}\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]}\n`;
      return { status: 200, body: { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(yaml).toString("base64") }] } };
    }
    const powerAfter: Record<string, string> = { start: "running", poweroff: "stopped", deallocate: "deallocated", restart: "running" };
    if (id.type.toLowerCase() === "microsoft.compute/virtualmachines" && powerAfter[action]) {
      return this.#longRunning(id, "action", "async", 202, undefined, () => this.power.set(id.key, powerAfter[action]!));
    }
    return { status: 404, body: errorBody("InvalidAction", `No action ${action} on ${id.type}.`) };
  }
}
