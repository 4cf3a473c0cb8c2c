import { CustomAiError } from "./errors.js";

export type Target = "local" | "azure";

export const TARGETS: readonly Target[] = ["local", "azure"];

export interface Config {
  /** Where the toolkit provisions and runs things: this machine, or an Azure subscription. */
  target: Target;
  subscriptionId?: string;
  resourceGroup?: string;
  location?: string;
  /** Why each value was chosen, in words, for a notebook or `custom-ai` to print. */
  reasons: string[];
}

/** Environment variables read by {@link loadConfig}. */
export const CONFIG_ENV = {
  target: "CUSTOM_AI_TARGET",
  subscriptionId: "AZURE_SUBSCRIPTION_ID",
  resourceGroup: "AZURE_RESOURCE_GROUP",
  location: "AZURE_LOCATION",
} as const;

/**
 * Resolves the configuration from environment variables. The target is CUSTOM_AI_TARGET when set,
 * else "azure" when AZURE_SUBSCRIPTION_ID is set, else "local". Reads nothing but `env`: no
 * files, no network. Throws CustomAiError code BAD_CONFIG for a value it cannot use.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined; // an empty variable counts as unset
  };
  const reasons: string[] = [];
  const subscriptionId = read(CONFIG_ENV.subscriptionId);
  const resourceGroup = read(CONFIG_ENV.resourceGroup);
  const location = read(CONFIG_ENV.location);
  const requested = read(CONFIG_ENV.target);

  let target: Target;
  if (requested !== undefined) {
    const lower = requested.toLowerCase();
    if (lower !== "local" && lower !== "azure") {
      throw new CustomAiError(
        "BAD_CONFIG",
        `${CONFIG_ENV.target} must be one of ${TARGETS.join(" | ")}, not "${requested}". ` +
          `Set it to one of those, or unset it to choose automatically (azure when ${CONFIG_ENV.subscriptionId} is set).`,
      );
    }
    target = lower;
    reasons.push(`${CONFIG_ENV.target}=${requested}`);
  } else if (subscriptionId !== undefined) {
    target = "azure";
    reasons.push(`${CONFIG_ENV.subscriptionId} is set and ${CONFIG_ENV.target} is not`);
  } else {
    target = "local";
    reasons.push(`neither ${CONFIG_ENV.target} nor ${CONFIG_ENV.subscriptionId} is set`);
  }

  if (target === "azure" && subscriptionId === undefined) {
    throw new CustomAiError(
      "BAD_CONFIG",
      `${CONFIG_ENV.target}=azure needs ${CONFIG_ENV.subscriptionId}. Set it to the subscription to use ` +
        `(\`az account show --query id -o tsv\` prints the current one), or set ${CONFIG_ENV.target}=local.`,
    );
  }

  const config: Config = { target, reasons };
  if (subscriptionId !== undefined) config.subscriptionId = subscriptionId;
  if (resourceGroup !== undefined) {
    config.resourceGroup = resourceGroup;
    reasons.push(`resource group from ${CONFIG_ENV.resourceGroup}`);
  }
  if (location !== undefined) {
    config.location = location;
    reasons.push(`location from ${CONFIG_ENV.location}`);
  }
  if (target === "local" && subscriptionId !== undefined) {
    reasons.push(`${CONFIG_ENV.subscriptionId} is set but ignored while the target is local`);
  }
  return config;
}
