import { Readable } from "node:stream";
import type { ContainerClient, StoragePipelineOptions } from "@azure/storage-blob";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "./storage-azurite.js";
import { StorageError } from "./storage-errors.js";
import { joinKey, normalizeKey, normalizePrefix } from "./storage-keys.js";
import type { BlobLocation } from "./storage-url.js";
import { STORAGE_CONNECTION_STRING_ENV, type BlobStore, type ByteRange, type OpenStoreOptions, type TokenCredential } from "./storage-types.js";

type BlobSdk = typeof import("@azure/storage-blob");

/** A download stream that breaks off is resumed where it stopped, this many times (the SDK's retriable stream). */
const STREAM_RETRIES = 5;
/** putStream's block size and blocks in flight: ~8 MiB of buffers, whatever the value's size. */
const UPLOAD_BLOCK = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;

/** Which credential a store uses, in words for error messages. */
interface CredentialInfo {
  kind: "shared-key" | "sas" | "token" | "default-azure-credential";
  description: string;
}

/** Opens a Blob container prefix with the credential chosen as openStore documents. */
export async function openBlobStore(location: BlobLocation, options: OpenStoreOptions): Promise<BlobStore> {
  const sdk = (await import("@azure/storage-blob")) as BlobSdk;
  const env = options.env ?? process.env;
  const retry = options.retry ?? {};
  const pipeline: StoragePipelineOptions = {
    retryOptions: location.emulator
      ? { maxTries: retry.maxTries ?? 3, retryDelayInMs: retry.retryDelayInMs ?? 200, maxRetryDelayInMs: retry.maxRetryDelayInMs ?? 1_000, tryTimeoutInMs: retry.tryTimeoutInMs ?? 30_000 }
      : { ...retry },
  };

  let client: ContainerClient;
  let info: CredentialInfo;
  const connection = options.connectionString ?? env[STORAGE_CONNECTION_STRING_ENV];
  const connectionSource = options.connectionString !== undefined ? "the connectionString option" : STORAGE_CONNECTION_STRING_ENV;
  if (options.credential) {
    client = new sdk.BlobServiceClient(location.accountUrl, options.credential as never, pipeline).getContainerClient(location.container);
    info = { kind: "token", description: `the token credential given (${options.credential.constructor?.name ?? "TokenCredential"})` };
  } else if (connection?.trim()) {
    const parsed = parseConnectionString(connection, location, connectionSource);
    if (parsed.key !== undefined) {
      const credential = new sdk.StorageSharedKeyCredential(parsed.account, parsed.key);
      client = new sdk.BlobServiceClient(location.accountUrl, credential, pipeline).getContainerClient(location.container);
      info = { kind: "shared-key", description: `the account key of ${parsed.account} from ${connectionSource}` };
    } else {
      client = new sdk.BlobServiceClient(`${location.accountUrl}?${parsed.sas}`, new sdk.AnonymousCredential(), pipeline).getContainerClient(location.container);
      info = { kind: "sas", description: `the SAS token from ${connectionSource}` };
    }
  } else if (location.emulator && location.account === AZURITE_ACCOUNT) {
    const credential = new sdk.StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
    client = new sdk.BlobServiceClient(location.accountUrl, credential, pipeline).getContainerClient(location.container);
    info = { kind: "shared-key", description: `Azurite's well-known key of ${AZURITE_ACCOUNT}` };
  } else if (location.emulator) {
    throw new StorageError(
      "STORAGE_AUTH",
      `No credential for emulator account "${location.account}" at ${location.url}: pass { connectionString } or set ${STORAGE_CONNECTION_STRING_ENV} (only ${AZURITE_ACCOUNT} has a well-known key).`,
    );
  } else {
    // Azure mode only: an emulator URL never reaches this, so local runs never build this credential.
    const identity = (await import("@azure/identity")) as typeof import("@azure/identity");
    client = new sdk.BlobServiceClient(location.accountUrl, new identity.DefaultAzureCredential(), pipeline).getContainerClient(location.container);
    info = { kind: "default-azure-credential", description: "DefaultAzureCredential (environment variables, workload / managed identity, az login)" };
  }
  return new AzureBlobStore(client, location, location.prefix, info);
}

/**
 * One container creation per container client, shared by a store and its scopes: concurrent
 * writers that all meet ContainerNotFound wait for the same createIfNotExists, then retry.
 */
const containerCreations = new WeakMap<ContainerClient, Promise<unknown>>();

function ensureContainer(client: ContainerClient): Promise<unknown> {
  let creation = containerCreations.get(client);
  if (!creation) {
    creation = client.createIfNotExists();
    containerCreations.set(client, creation);
    creation.catch(() => containerCreations.delete(client)); // a later write may try again
  }
  return creation;
}

class AzureBlobStore implements BlobStore {
  readonly kind = "blob" as const;
  readonly url: string;

  constructor(
    private readonly client: ContainerClient,
    private readonly location: BlobLocation,
    private readonly prefix: string,
    private readonly credential: CredentialInfo,
  ) {
    this.url = `${location.accountUrl}/${location.container}${prefix ? `/${prefix}` : ""}`;
  }

  scope(prefix: string): BlobStore {
    return new AzureBlobStore(this.client, this.location, joinKey(this.prefix, normalizeKey(prefix)), this.credential);
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    const name = this.nameOf(key);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const upload = () => this.client.getBlockBlobClient(name).uploadData(bytes);
    try {
      await upload();
    } catch (error) {
      if (!isCode(error, "ContainerNotFound")) throw this.failure("write", key, error);
      try {
        await ensureContainer(this.client);
        await upload(); // once: a second ContainerNotFound (the container deleted meanwhile) is an error
      } catch (again) {
        throw this.failure("write", key, again);
      }
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const buffer = await this.client.getBlobClient(this.nameOf(key)).downloadToBuffer();
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isCode(error, "BlobNotFound") || isCode(error, "ContainerNotFound") || statusOf(error) === 404) return undefined;
      throw this.failure("read", key, error);
    }
  }

  async openRead(key: string, range: ByteRange = {}): Promise<Readable | undefined> {
    const { start = 0, end } = range;
    if (end !== undefined && end <= start) {
      if ((await this.size(key)) === undefined) return undefined;
      return Readable.from([]);
    }
    try {
      const response = await this.client.getBlobClient(this.nameOf(key)).download(start, end === undefined ? undefined : end - start, { maxRetryRequests: STREAM_RETRIES });
      return response.readableStreamBody as Readable;
    } catch (error) {
      if (this.isMissing(error)) return undefined;
      if (statusOf(error) === 416) return Readable.from([]); // start at or past the end
      throw this.failure("read", key, error);
    }
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    if (end <= start) return (await this.size(key)) === undefined ? undefined : new Uint8Array(0);
    const stream = await this.openRead(key, { start, end });
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (error) {
      throw this.failure("read", key, error);
    }
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await this.client.getBlobClient(this.nameOf(key)).getProperties()).contentLength ?? 0;
    } catch (error) {
      if (this.isMissing(error)) return undefined;
      throw this.failure("read", key, error);
    }
  }

  async putStream(key: string, source: Readable): Promise<void> {
    // The stream cannot be replayed after a ContainerNotFound, so make sure of the container first
    // (once per store; a SAS without create rights fails here harmlessly and the upload decides).
    await ensureContainer(this.client).catch(() => undefined);
    try {
      // Staged blocks, then one commit of the block list: readers see the old value or the whole new one.
      await this.client.getBlockBlobClient(this.nameOf(key)).uploadStream(source, UPLOAD_BLOCK, UPLOAD_CONCURRENCY);
    } catch (error) {
      source.destroy();
      throw this.failure("write", key, error);
    }
  }

  async list(prefix = ""): Promise<string[]> {
    const wanted = normalizePrefix(prefix);
    const full = this.prefix ? `${this.prefix}/${wanted}` : wanted;
    // "a/b" must not match "a/bc/...": a prefix names a folder or a key's start, as in the file store.
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    const keys: string[] = [];
    try {
      for await (const blob of this.client.listBlobsFlat({ prefix: full })) {
        const key = blob.name.slice(strip);
        if (this.prefix && !blob.name.startsWith(`${this.prefix}/`)) continue;
        if (key.startsWith(wanted)) keys.push(key);
      }
    } catch (error) {
      if (isCode(error, "ContainerNotFound")) return [];
      throw this.failure("list", wanted || ".", error);
    }
    return keys.sort();
  }

  async delete(key: string): Promise<boolean> {
    try {
      const response = await this.client.getBlobClient(this.nameOf(key)).deleteIfExists();
      return response.succeeded;
    } catch (error) {
      if (isCode(error, "ContainerNotFound")) return false;
      throw this.failure("delete", key, error);
    }
  }

  private isMissing(error: unknown): boolean {
    return isCode(error, "BlobNotFound") || isCode(error, "ContainerNotFound") || statusOf(error) === 404;
  }

  private nameOf(key: string): string {
    return joinKey(this.prefix, normalizeKey(key));
  }

  private failure(op: string, key: string, error: unknown): StorageError {
    const where = `${this.url}/${key}`.replace(/\/\.$/, "");
    const status = statusOf(error);
    const code = codeOf(error);
    const name = (error as Error)?.name ?? "";
    const detail = firstLine(error);
    if (
      status === 401 ||
      status === 403 ||
      /^(Authentication|Authorization)/.test(code ?? "") ||
      name === "CredentialUnavailableError" ||
      name === "AuthenticationError" ||
      name === "AggregateAuthenticationError"
    ) {
      const fix =
        this.credential.kind === "default-azure-credential" || this.credential.kind === "token"
          ? `Sign in (\`az login\`) or give the identity the "Storage Blob Data Contributor" role on account ${this.location.account}, or pass a connection string`
          : this.credential.kind === "sas"
            ? "Check the SAS token's expiry and permissions (read, write, list, delete, create)"
            : `Check the account key (for Azurite: the connection string startAzurite() returns)`;
      return new StorageError("STORAGE_AUTH", `Blob storage refused to ${op} ${where} with ${this.credential.description}: ${code ?? status ?? name} (${detail}). ${fix}.`, { cause: error });
    }
    const sysCode = (error as { code?: string })?.code;
    if (sysCode === "ECONNREFUSED" || sysCode === "ENOTFOUND" || sysCode === "ECONNRESET" || sysCode === "REQUEST_SEND_ERROR" || sysCode === "ETIMEDOUT" || /ECONNREFUSED|ENOTFOUND/.test(detail)) {
      const fix = this.location.emulator
        ? "Is Azurite running on that port? Start it with startAzurite() (lib/core) or `npx azurite-blob`"
        : `Check the account name (${this.location.account}) and the network / firewall`;
      return new StorageError("STORAGE_UNREACHABLE", `No answer from ${this.location.accountUrl} to ${op} ${where} (${sysCode ?? detail}). ${fix}.`, { cause: error });
    }
    return new StorageError("STORAGE_FAILED", `Could not ${op} ${where}: ${code ?? status ?? name} ${detail}.`, { cause: error });
  }
}

function parseConnectionString(text: string, location: BlobLocation, source: string): { account: string; key?: string; sas?: string } {
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    fields.set("accountname", AZURITE_ACCOUNT);
    fields.set("accountkey", AZURITE_KEY);
  }
  const account = fields.get("accountname");
  const key = fields.get("accountkey");
  const sas = fields.get("sharedaccesssignature");
  if (account !== undefined && account !== location.account) {
    throw new StorageError(
      "STORAGE_AUTH",
      `${source} is for account "${account}" but ${location.url} is in account "${location.account}": use that account's connection string, or the matching URL.`,
    );
  }
  if (key) return { account: account ?? location.account, key };
  if (sas) return { account: account ?? location.account, sas: sas.replace(/^\?/, "") };
  throw new StorageError(
    "STORAGE_AUTH",
    `${source} has neither AccountKey nor SharedAccessSignature, so it cannot open ${location.url}: use a connection string from \`az storage account show-connection-string\` or Azurite's.`,
  );
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: string; details?: { errorCode?: string } };
  return e?.details?.errorCode ?? (typeof e?.code === "string" && !/^E[A-Z]+$/.test(e.code) ? e.code : undefined);
}

function isCode(error: unknown, code: string): boolean {
  return codeOf(error) === code;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 200);
}
