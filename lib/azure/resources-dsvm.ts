// The GPU Data Science VM and what it needs: a virtual network, a network security group that
// opens SSH and JupyterHub to the caller's address only, a public IP, a NIC, and a daily
// auto-shutdown schedule (Microsoft.DevTestLab/schedules: no typed client, a generic resource PUT).
import { deleteIfExists, getOrUndefined } from "./clients.js";
import type { AzureTarget } from "./context.js";
import { isToolkitTagged, toolkitTags, type ResourceNames } from "./names.js";
import { rgId } from "./resources-data.js";
import { ownTags, type Resource } from "./resource.js";
import type { DsvmSettings } from "./settings.js";

/** The Ubuntu Data Science VM image (NVIDIA driver, CUDA and JupyterHub included). */
export const DSVM_IMAGE = { publisher: "microsoft-dsvm", offer: "ubuntu-2204", sku: "2204-gen2", version: "latest" } as const;
/** JupyterHub's port on the DSVM. */
export const JUPYTERHUB_PORT = 8000;
const SCHEDULE_API_VERSION = "2018-09-15";
const ADDRESS_SPACE = "10.20.0.0/16";
const SUBNET = "10.20.0.0/24";

const net = (t: AzureTarget, type: string, name: string): string => `${rgId(t)}/providers/Microsoft.Network/${type}/${name}`;

export function dsvmResources(t: AzureTarget, n: ResourceNames, s: DsvmSettings): Resource[] {
  const tags = toolkitTags(t.deployment);
  const tagged = (x: { tags?: Record<string, string>; provisioningState?: string }) => ({
    tags: x.tags ?? {},
    ...(x.provisioningState ? { provisioningState: x.provisioningState } : {}),
    managed: isToolkitTagged(x.tags, t.deployment),
  });
  const source = s.callerIp ? (s.callerIp.includes("/") ? s.callerIp : `${s.callerIp}/32`) : "<callerIp>";
  const rules = [
    { name: "ssh-from-caller", priority: 1000, port: "22" },
    { name: "jupyterhub-from-caller", priority: 1010, port: String(JUPYTERHUB_PORT) },
  ];
  const vmId = `${rgId(t)}/providers/Microsoft.Compute/virtualMachines/${n.vm}`;
  const scheduleId = `${rgId(t)}/providers/Microsoft.DevTestLab/schedules/${n.shutdownSchedule}`;

  const vnet: Resource = {
    key: "vnet",
    type: "Microsoft.Network/virtualNetworks",
    name: n.vnet,
    id: net(t, "virtualNetworks", n.vnet),
    dependsOn: ["resourceGroup"],
    desired: { location: t.location, addressSpace: [ADDRESS_SPACE], subnets: [`${n.subnet}=${SUBNET}`], tags },
    async read(c) {
      const v = await getOrUndefined(() => c.network.virtualNetworks.get(t.resourceGroup, n.vnet, c.request));
      if (!v) return undefined;
      return { state: { location: v.location, addressSpace: v.addressSpace?.addressPrefixes ?? [], subnets: (v.subnets ?? []).map((x) => `${x.name}=${x.addressPrefix}`), tags: ownTags(v.tags, tags) }, ...tagged(v) };
    },
    async put(c) {
      await c.network.virtualNetworks.beginCreateOrUpdateAndWait(t.resourceGroup, n.vnet, { location: t.location, tags, addressSpace: { addressPrefixes: [ADDRESS_SPACE] }, subnets: [{ name: n.subnet, addressPrefix: SUBNET }] }, c.lro);
    },
    async remove(c) {
      await deleteIfExists(() => c.network.virtualNetworks.beginDeleteAndWait(t.resourceGroup, n.vnet, c.lro));
    },
  };

  const nsg: Resource = {
    key: "nsg",
    type: "Microsoft.Network/networkSecurityGroups",
    name: n.nsg,
    id: net(t, "networkSecurityGroups", n.nsg),
    dependsOn: ["resourceGroup"],
    desired: { location: t.location, rules: rules.map((r) => `${r.name}: allow tcp ${r.port} from ${source}`).sort(), tags },
    ...(s.callerIp ? {} : { missing: ["callerIp (the address SSH and JupyterHub accept: `curl -s https://api.ipify.org`)"] }),
    async read(c) {
      const g = await getOrUndefined(() => c.network.networkSecurityGroups.get(t.resourceGroup, n.nsg, c.request));
      if (!g) return undefined;
      const got = (g.securityRules ?? []).filter((r) => r.direction === "Inbound" && r.access === "Allow").map((r) => `${r.name}: allow ${String(r.protocol).toLowerCase()} ${r.destinationPortRange} from ${r.sourceAddressPrefix}`).sort();
      return { state: { location: g.location, rules: got, tags: ownTags(g.tags, tags) }, ...tagged(g) };
    },
    async put(c) {
      await c.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
        t.resourceGroup,
        n.nsg,
        {
          location: t.location,
          tags,
          securityRules: rules.map((r) => ({
            name: r.name,
            priority: r.priority,
            direction: "Inbound",
            access: "Allow",
            protocol: "Tcp",
            sourceAddressPrefix: source,
            sourcePortRange: "*",
            destinationAddressPrefix: "*",
            destinationPortRange: r.port,
          })),
        },
        c.lro,
      );
    },
    async remove(c) {
      await deleteIfExists(() => c.network.networkSecurityGroups.beginDeleteAndWait(t.resourceGroup, n.nsg, c.lro));
    },
  };

  const publicIp: Resource = {
    key: "publicIp",
    type: "Microsoft.Network/publicIPAddresses",
    name: n.publicIp,
    id: net(t, "publicIPAddresses", n.publicIp),
    dependsOn: ["resourceGroup"],
    desired: { location: t.location, sku: "Standard", allocation: "Static", tags },
    async read(c) {
      const p = await getOrUndefined(() => c.network.publicIPAddresses.get(t.resourceGroup, n.publicIp, c.request));
      if (!p) return undefined;
      return { state: { location: p.location, sku: p.sku?.name, allocation: p.publicIPAllocationMethod, tags: ownTags(p.tags, tags) }, ...tagged(p), extra: { ipAddress: p.ipAddress ?? "" } };
    },
    async put(c) {
      await c.network.publicIPAddresses.beginCreateOrUpdateAndWait(t.resourceGroup, n.publicIp, { location: t.location, tags, sku: { name: "Standard" }, publicIPAllocationMethod: "Static" }, c.lro);
    },
    async remove(c) {
      await deleteIfExists(() => c.network.publicIPAddresses.beginDeleteAndWait(t.resourceGroup, n.publicIp, c.lro));
    },
  };

  const subnetId = `${vnet.id}/subnets/${n.subnet}`;
  const nic: Resource = {
    key: "nic",
    type: "Microsoft.Network/networkInterfaces",
    name: n.nic,
    id: net(t, "networkInterfaces", n.nic),
    dependsOn: ["vnet", "nsg", "publicIp"],
    desired: { location: t.location, subnet: subnetId.toLowerCase(), publicIp: publicIp.id.toLowerCase(), nsg: nsg.id.toLowerCase(), tags },
    async read(c) {
      const x = await getOrUndefined(() => c.network.networkInterfaces.get(t.resourceGroup, n.nic, c.request));
      if (!x) return undefined;
      const ip = x.ipConfigurations?.[0];
      return { state: { location: x.location, subnet: ip?.subnet?.id?.toLowerCase(), publicIp: ip?.publicIPAddress?.id?.toLowerCase(), nsg: x.networkSecurityGroup?.id?.toLowerCase(), tags: ownTags(x.tags, tags) }, ...tagged(x) };
    },
    async put(c) {
      await c.network.networkInterfaces.beginCreateOrUpdateAndWait(
        t.resourceGroup,
        n.nic,
        { location: t.location, tags, networkSecurityGroup: { id: nsg.id }, ipConfigurations: [{ name: "ipconfig1", subnet: { id: subnetId }, publicIPAddress: { id: publicIp.id }, privateIPAllocationMethod: "Dynamic" }] },
        c.lro,
      );
    },
    async remove(c) {
      await deleteIfExists(() => c.network.networkInterfaces.beginDeleteAndWait(t.resourceGroup, n.nic, c.lro));
    },
  };

  const missingVm = [
    ...(s.sshPublicKey ? [] : ["sshPublicKey (an OpenSSH public key; none in ~/.ssh/id_ed25519.pub or id_rsa.pub)"]),
    ...(s.cloudInit !== undefined && s.cloudInit.includes("@REPO_URL@") ? ["repoUrl / repoRef (the cloud-init clones the toolkit from there)"] : []),
  ];
  const vm: Resource = {
    key: "vm",
    type: "Microsoft.Compute/virtualMachines",
    name: n.vm,
    id: vmId,
    dependsOn: ["nic"],
    desired: { location: t.location, size: s.size, image: `${DSVM_IMAGE.publisher}:${DSVM_IMAGE.offer}:${DSVM_IMAGE.sku}`, adminUsername: s.adminUsername, passwordLogin: false, tags },
    compute: [{ vmSize: s.size, count: 1, maxCount: 1, spot: false }],
    ...(missingVm.length ? { missing: missingVm } : {}),
    async read(c) {
      const v = await getOrUndefined(() => c.compute.virtualMachines.get(t.resourceGroup, n.vm, { ...c.request, expand: "instanceView" }));
      if (!v) return undefined;
      const img = v.storageProfile?.imageReference;
      const power = v.instanceView?.statuses?.find((x) => x.code?.startsWith("PowerState/"))?.code?.slice("PowerState/".length);
      return {
        state: {
          location: v.location,
          size: v.hardwareProfile?.vmSize,
          image: `${img?.publisher}:${img?.offer}:${img?.sku}`,
          adminUsername: v.osProfile?.adminUsername,
          passwordLogin: !(v.osProfile?.linuxConfiguration?.disablePasswordAuthentication ?? false),
          tags: ownTags(v.tags, tags),
        },
        ...tagged(v),
        extra: { powerState: power ?? "unknown" },
      };
    },
    async put(c) {
      const existing = await getOrUndefined(() => c.compute.virtualMachines.get(t.resourceGroup, n.vm, c.request));
      if (existing) {
        // osProfile (key, user data) cannot change on an existing VM: update size and tags only.
        await c.compute.virtualMachines.beginUpdateAndWait(t.resourceGroup, n.vm, { tags, hardwareProfile: { vmSize: s.size } }, c.lro);
        return;
      }
      await c.compute.virtualMachines.beginCreateOrUpdateAndWait(
        t.resourceGroup,
        n.vm,
        {
          location: t.location,
          tags,
          hardwareProfile: { vmSize: s.size },
          storageProfile: { imageReference: { ...DSVM_IMAGE }, osDisk: { createOption: "FromImage", deleteOption: "Delete", managedDisk: { storageAccountType: "Premium_LRS" } } },
          osProfile: {
            computerName: n.vm.slice(0, 64),
            adminUsername: s.adminUsername,
            linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: `/home/${s.adminUsername}/.ssh/authorized_keys`, keyData: s.sshPublicKey! }] } },
            ...(s.cloudInit !== undefined ? { customData: Buffer.from(s.cloudInit).toString("base64") } : {}),
          },
          networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
        },
        c.lro,
      );
    },
    async remove(c) {
      await deleteIfExists(() => c.compute.virtualMachines.beginDeleteAndWait(t.resourceGroup, n.vm, c.lro));
    },
  };

  const scheduleProps = { status: "Enabled", taskType: "ComputeVmShutdownTask", dailyRecurrence: { time: s.autoShutdownTime }, timeZoneId: s.timeZone, targetResourceId: vmId, notificationSettings: { status: "Disabled" } };
  const autoShutdown: Resource = {
    key: "autoShutdown",
    type: "Microsoft.DevTestLab/schedules",
    name: n.shutdownSchedule,
    id: scheduleId,
    dependsOn: ["vm"],
    desired: { location: t.location, time: s.autoShutdownTime, timeZone: s.timeZone, target: vmId.toLowerCase(), tags },
    async read(c) {
      const g = await getOrUndefined(() => c.resources.resources.getById(scheduleId, SCHEDULE_API_VERSION, c.request));
      if (!g) return undefined;
      const p = (g.properties ?? {}) as { dailyRecurrence?: { time?: string }; timeZoneId?: string; targetResourceId?: string; provisioningState?: string };
      return {
        state: { location: g.location, time: p.dailyRecurrence?.time, timeZone: p.timeZoneId, target: p.targetResourceId?.toLowerCase(), tags: ownTags(g.tags, tags) },
        ...tagged({ ...(g.tags ? { tags: g.tags } : {}), ...(p.provisioningState ? { provisioningState: p.provisioningState } : {}) }),
      };
    },
    async put(c) {
      await c.resources.resources.beginCreateOrUpdateByIdAndWait(scheduleId, SCHEDULE_API_VERSION, { location: t.location, tags, properties: scheduleProps }, c.lro);
    },
    async remove(c) {
      await deleteIfExists(() => c.resources.resources.beginDeleteByIdAndWait(scheduleId, SCHEDULE_API_VERSION, c.lro));
    },
  };

  return [vnet, nsg, publicIp, nic, vm, autoShutdown];
}
