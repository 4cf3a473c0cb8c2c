// What a failed rollout or job shows its user: the failing pods' state, their recent events and
// their last log lines (kwok's simulated pods have no log: said, not thrown).
import type { Cluster } from "./client.js";
import { podProblem } from "./status.js";

const MAX_PODS = 3;
const LOG_LINES = 20;

/** The workload's and its failing pods' events and logs, as lines for an error message. */
export async function diagnose(cluster: Cluster, namespace: string, owner: { kind: string; name: string }, pods: readonly any[]): Promise<string> {
  const lines: string[] = [];
  const ownerEvents = await events(cluster, namespace, owner.kind, owner.name);
  if (ownerEvents.length) lines.push(`Events of ${owner.kind} ${owner.name}:`, ...ownerEvents.map((e) => `  ${e}`));
  const failing = pods.filter((p) => podProblem(p)).slice(0, MAX_PODS);
  for (const pod of failing) {
    const name = pod.metadata.name;
    lines.push(`Pod ${name}: ${podProblem(pod)}`);
    const podEvents = await events(cluster, namespace, "Pod", name);
    lines.push(podEvents.length ? "  events:" : "  events: none", ...podEvents.map((e) => `    ${e}`));
    lines.push(...(await logTail(cluster, namespace, pod)));
  }
  if (failing.length === 0 && pods.length) lines.push(`(${pods.length} pod(s), none failing on its own)`);
  return lines.join("\n");
}

async function events(cluster: Cluster, namespace: string, kind: string, name: string): Promise<string[]> {
  try {
    const list = await cluster.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
    return list.items
      .sort((a, b) => time(a) - time(b))
      .slice(-8)
      .map((e) => `${e.type ?? ""} ${e.reason ?? ""}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ""}: ${e.message ?? ""}`.trim());
  } catch (error) {
    return [`(events unreadable: ${(error as Error).message?.split("\n")[0]})`];
  }
}

function time(e: { lastTimestamp?: Date; eventTime?: Date; metadata?: { creationTimestamp?: Date } }): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

async function logTail(cluster: Cluster, namespace: string, pod: any): Promise<string[]> {
  const container = pod.spec?.containers?.[0]?.name;
  const restarted = (pod.status?.containerStatuses ?? []).some((c: any) => (c.restartCount ?? 0) > 0);
  try {
    const text = await cluster.core.readNamespacedPodLog({ name: pod.metadata.name, namespace, container, tailLines: LOG_LINES, ...(restarted ? { previous: true } : {}) });
    const log = String(text ?? "").trimEnd().split("\n").filter(Boolean);
    return log.length ? ["  last log lines:", ...log.map((l) => `    ${l}`)] : ["  log: empty"];
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return [`  log: none (${typeof code === "number" ? `the API server answered ${code}` : (error as Error).message?.split("\n")[0]}; pods simulated by kwok have no containers, so no log)`];
  }
}
