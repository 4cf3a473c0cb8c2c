// Start, stop (power off: still billed) and deallocate (billing stops, but for disk and IP) the DSVM.
import { deployment } from "./deployment.js";
import { translateAzureError } from "./errors.js";
import type { ProvisionOptions } from "./settings.js";

export type DsvmPowerAction = "start" | "stop" | "deallocate";

/** Starts, powers off or deallocates the deployment's DSVM and waits for it. */
export async function setDsvmPower(action: DsvmPowerAction, options: ProvisionOptions = {}): Promise<void> {
  const d = deployment({ ...options, dsvm: options.dsvm || {} });
  const { resourceGroup } = d.target;
  const vms = d.clients.compute.virtualMachines;
  const t0 = performance.now();
  d.target.onProgress({ resource: "vm", phase: "start", message: `${action} ${d.names.vm}` });
  try {
    if (action === "start") await vms.beginStartAndWait(resourceGroup, d.names.vm, d.clients.lro);
    else if (action === "stop") await vms.beginPowerOffAndWait(resourceGroup, d.names.vm, d.clients.lro);
    else await vms.beginDeallocateAndWait(resourceGroup, d.names.vm, d.clients.lro);
  } catch (e) {
    throw translateAzureError(e, `${action} ${d.names.vm}`, "vm");
  }
  d.target.onProgress({ resource: "vm", phase: "done", message: `${d.names.vm}: ${action === "start" ? "running" : action === "stop" ? "stopped" : "deallocated"}`, elapsedMs: performance.now() - t0 });
}
