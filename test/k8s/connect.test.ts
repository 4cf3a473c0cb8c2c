// connect(): which kubeconfig, context and namespace the clients use, without a cluster (nothing
// is sent until a request is made).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connect } from "../../lib/k8s/index.js";
import { tempDir } from "../support/temp.js";

function kubeconfig(contextNamespace?: string): string {
  const file = path.join(tempDir("cai-k8s-connect-"), "config");
  const ns = contextNamespace ? `\n    namespace: ${contextNamespace}` : "";
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user:
    token: t
contexts:
- name: main
  context:
    cluster: c
    user: u${ns}
- name: other
  context:
    cluster: c
    user: u
current-context: main
`,
  );
  return file;
}

describe("connect", () => {
  it("uses the namespace given, else the context's, else default", async () => {
    const withNs = kubeconfig("team-a");
    expect((await connect({ kubeconfig: withNs })).namespace).toBe("team-a");
    expect((await connect({ kubeconfig: withNs, namespace: "team-b" })).namespace).toBe("team-b");
    expect((await connect({ kubeconfig: withNs, context: "other" })).namespace).toBe("default");
    const cluster = await connect({ kubeconfig: kubeconfig() });
    expect([cluster.namespace, cluster.server]).toEqual(["default", "https://127.0.0.1:6443"]);
  });

  it("names a missing kubeconfig or context", async () => {
    await expect(connect({ kubeconfig: path.join(tempDir("cai-k8s-connect-"), "none") })).rejects.toMatchObject({ code: "NO_KUBECONFIG", message: expect.stringMatching(/No kubeconfig at .*none/) });
    await expect(connect({ kubeconfig: kubeconfig(), context: "nope" })).rejects.toMatchObject({ code: "NO_KUBECONFIG", message: expect.stringMatching(/has no context "nope"; it has main, other/) });
  });
});
