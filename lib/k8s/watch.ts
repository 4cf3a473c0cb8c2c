// A watch that lasts: the API server ends watches after a while (and a 410 Gone asks for a fresh
// start); this one starts again until stopped. Each (re)start replays the current objects as
// ADDED events, so the caller's picture is always whole.
import type { Cluster } from "./client.js";

export type WatchEvent = "ADDED" | "MODIFIED" | "DELETED";

export interface LastingWatch {
  stop(): void;
}

/**
 * Watches `path` (e.g. /apis/apps/v1/namespaces/ns/deployments) with `query` (fieldSelector,
 * labelSelector), calling `onEvent` for every object event and `onError` when a (re)start fails
 * (403 on watch: RBAC; no answer).
 */
export function lastingWatch(
  cluster: Cluster,
  path: string,
  query: Record<string, string>,
  onEvent: (type: WatchEvent, object: any) => void,
  onError: (error: unknown) => void,
): LastingWatch {
  const watch = new cluster.k8s.Watch(cluster.config);
  let stopped = false;
  let controller: AbortController | undefined;
  let failures = 0;
  const start = () => {
    if (stopped) return;
    void watch
      .watch(
        path,
        { ...query, allowWatchBookmarks: false },
        (type, object) => {
          failures = 0;
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") onEvent(type, object);
          // "ERROR" (e.g. 410 Gone): the stream ends; the restart below starts afresh.
        },
        (error) => {
          if (stopped) return;
          if (error && (error as { statusCode?: number }).statusCode !== undefined) return onError(error);
          // Ended by the server (its time-out) or a dropped connection: start again, a little later each time it fails.
          if (error) failures++;
          if (failures > 5) return onError(error);
          setTimeout(start, failures ? 200 * failures : 0).unref?.();
        },
      )
      .then(
        (c) => {
          controller = c;
          if (stopped) c.abort();
        },
        (error) => !stopped && onError(error),
      );
  };
  start();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
