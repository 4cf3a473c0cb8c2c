// Provisioning on Azure: a GPU Data Science VM, an AKS cluster with a GPU pool, storage and a
// registry — plan, apply, status, teardown — through the Azure SDK clients.
export { AzureError, translateAzureError, QUOTA_PORTAL_URL, type AzureErrorCode, type AzureErrorDetails } from "./errors.js";
export { resolveTarget, checkCredential, AZURE_ENV, DEFAULT_LOCATION, DEFAULT_DEPLOYMENT, PUBLIC_ARM_ENDPOINT, type AzureOptions, type AzureTarget, type AzureProgress, type HttpClient } from "./context.js";
export { resourceNames, uniqueSuffix, deterministicGuid, toolkitTags, isToolkitTagged, MANAGED_BY_TAG, MANAGED_BY_VALUE, DEPLOYMENT_TAG, type ResourceNames } from "./names.js";
export { resolveSettings, defaultCloudInitPath, DEFAULT_GPU_SIZE, type ProvisionOptions, type DsvmSettings, type AksSettings, type Settings } from "./settings.js";
export type { ResourceKey, ComputeNeed } from "./resource.js";
export { priceTable, type PriceTable, type CostEstimate, type CostLine } from "./cost.js";
export { plan, PLACEHOLDER_SUBSCRIPTION, type Plan, type PlannedResource, type PlanAction } from "./plan.js";
export type { QuotaCheck, SizeInfo } from "./preflight.js";
export { apply, fetchKubeconfig, type ApplyOptions, type ApplyResult } from "./apply.js";
export { status, type DeploymentStatus, type ResourceStatus } from "./status.js";
export { teardown, type TeardownResult, type TeardownEntry } from "./teardown.js";
export { setDsvmPower, type DsvmPowerAction } from "./dsvm-power.js";
export { GPU_TAINT, GPU_POOL_LABEL, ACR_PULL_ROLE_ID } from "./resources-aks.js";
export { nvidiaDevicePluginManifests, installNvidiaDevicePlugin, NVIDIA_DEVICE_PLUGIN_IMAGE, type DevicePluginOptions } from "./device-plugin.js";
export { DSVM_IMAGE, JUPYTERHUB_PORT } from "./resources-dsvm.js";
export { formatPlan, formatCost, formatStatus, formatTeardown } from "./report.js";
