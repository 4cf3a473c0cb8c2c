// The toolkit's one name for where a model is: `model` (a folder or a storage URL). `modelDir` is
// the name 2-2 and 2-5 taught first; it still works, as a deprecated alias.
import type { OpenStoreOptions, TokenCredential } from "../core/index.js";
import { ServeError } from "./errors.js";

/** Where the model is: `model`, or the deprecated `modelDir` (one of the two). */
export type ModelLocationOption =
  | {
      /**
       * Folder with model.onnx and metadata.json (as saveServableModel writes them), or a storage
       * URL of one: Azure Blob (`https://<account>.blob.core.windows.net/<container>/<prefix>`), Azurite, file://.
       */
      model: string;
      modelDir?: undefined;
    }
  | {
      model?: undefined;
      /** @deprecated Use `model` (the toolkit's one name for a model's location). */
      modelDir: string;
    };

/** How the toolkit reaches Blob storage: the Azure SDK's names. */
export interface StorageCredentialOptions {
  /** A storage connection string (Azurite's, or an account key / SAS one). Default: AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** A Microsoft Entra credential (e.g. DefaultAzureCredential) for an Azure account: wins over a connection string. */
  credential?: TokenCredential;
}

/** The model's location from `model` or the deprecated `modelDir`; ServeError BAD_OPTION when neither is given. */
export function modelLocationOf(options: { model?: string; modelDir?: string }, who: string): string {
  const location = options.model ?? options.modelDir;
  if (!location) throw new ServeError("BAD_OPTION", `${who} needs model: a folder or storage URL with model.onnx and metadata.json.`);
  return location;
}

/** The OpenStoreOptions of `connectionString` / `credential`. */
export function storeOptionsOf(options: StorageCredentialOptions): OpenStoreOptions {
  return {
    ...(options.connectionString ? { connectionString: options.connectionString } : {}),
    ...(options.credential ? { credential: options.credential } : {}),
  };
}
