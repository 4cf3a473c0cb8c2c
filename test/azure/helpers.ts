// The toolkit's Azure code against the fake ARM: options that point the real SDK clients at it.
import type { ApplyOptions, AzureProgress } from "../../lib/azure/index.js";
import { FakeArm } from "./fake-arm/index.js";

export const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
export const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3fakekeyforthetestsonlyxxxxxxxxxxxxxxxxxxxx test@example";

/** A credential that always has a token (the fake checks that one is sent). */
export const fakeCredential = { getToken: async () => ({ token: "fake-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

export interface Harness {
  arm: FakeArm;
  progress: AzureProgress[];
  options: ApplyOptions;
}

export function harness(overrides: Partial<ApplyOptions> = {}): Harness {
  const arm = new FakeArm();
  const progress: AzureProgress[] = [];
  const options: ApplyOptions = {
    subscriptionId: SUBSCRIPTION,
    location: "eastus",
    resourceGroup: "rg-test",
    deployment: "cai-test",
    credential: fakeCredential,
    httpClient: arm.httpClient,
    pollIntervalMs: 1,
    env: {},
    dsvm: { callerIp: "203.0.113.7", sshPublicKey: SSH_KEY, repoUrl: "https://example.org/custom-ai.git", repoRef: "main" },
    onProgress: (p) => progress.push(p),
    ...overrides,
  };
  return { arm, progress, options };
}
