// --execution-provider, shared by `custom-ai serve` and `custom-ai score`. Kept free of
// onnxruntime-node so that `custom-ai --help` does not load it.
import { InvalidArgumentError, Option } from "commander";

/** The same as EXECUTION_PROVIDER_CHOICES (lib/serve/execution-providers.ts), which loads onnxruntime-node. */
export const EXECUTION_PROVIDER_FLAG_CHOICES = ["cpu", "cuda", "webgpu", "auto"];

export function executionProviderOption(): Option {
  return new Option(
    "--execution-provider <name>",
    "ONNX Runtime execution provider: cpu, cuda (NVIDIA GPU; install it with environments/gpu/install-onnxruntime-cuda.mjs), webgpu (Vulkan GPU), or auto (cuda when it loads, else cpu)",
  )
    .default("cpu")
    .argParser((v: string) => {
      const name = v.trim().toLowerCase();
      if (!EXECUTION_PROVIDER_FLAG_CHOICES.includes(name)) throw new InvalidArgumentError(`--execution-provider takes ${EXECUTION_PROVIDER_FLAG_CHOICES.join(", ")}.`);
      return name;
    });
}
