import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { StorageError } from "./storage-errors.js";

/** A local folder: `file:///abs/path` or a plain path (relative paths resolve against the working directory). */
export interface FileLocation {
  kind: "file";
  /** Absolute path of the folder that keys are relative to. */
  path: string;
  /** The location as a `file://` URL. */
  url: string;
}

/**
 * A container (and optional key prefix) in Azure Blob storage or in an emulator. Azure uses
 * host-style URLs (`https://<account>.blob.core.windows.net/<container>/<prefix>`); Azurite uses
 * path-style ones (`http://127.0.0.1:<port>/<account>/<container>/<prefix>`).
 */
export interface BlobLocation {
  kind: "blob";
  /** The account's endpoint, what `BlobServiceClient` takes: `https://acct.blob.core.windows.net` or `http://127.0.0.1:10000/devstoreaccount1`. */
  accountUrl: string;
  account: string;
  container: string;
  /** Key prefix inside the container, without leading or trailing slashes ("" for the container's root). */
  prefix: string;
  /** True for a path-style (emulator) URL. */
  emulator: boolean;
  /** The normalised URL of the location. */
  url: string;
}

export type StorageLocation = FileLocation | BlobLocation;

// Host-style Blob endpoints of the public and sovereign Azure clouds.
const AZURE_BLOB_HOST = /^([a-z0-9]{3,24})\.blob\.core\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i;
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Reads a storage URL: `file:///abs/path`, a plain path, an Azure Blob URL
 * (`https://<account>.blob.core.windows.net/<container>/<prefix>`) or an Azurite URL
 * (`http://127.0.0.1:<port>/devstoreaccount1/<container>/<prefix>`; any host that is not an Azure
 * Blob endpoint is read path-style, as emulators serve it). Throws StorageError BAD_STORAGE_URL.
 */
export function parseStorageUrl(url: string): StorageLocation {
  const text = (url ?? "").trim();
  if (!text) throw badUrl(url, "it is empty");
  if (text.startsWith("file:")) {
    let file: string;
    try {
      file = fileURLToPath(text);
    } catch (error) {
      throw badUrl(url, `it is not a valid file URL (${(error as Error).message}); use file:///absolute/path`);
    }
    return fileLocation(file);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return fileLocation(text); // a plain path (also C:\ on Windows)
  if (scheme !== "http" && scheme !== "https") {
    throw badUrl(url, `the scheme ${scheme}:// is not supported`);
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw badUrl(url, "it is not a valid URL");
  }
  if (parsed.search || parsed.hash) {
    throw badUrl(url, "it has a query or fragment (a SAS token?); pass credentials in the options, not in the URL");
  }
  const segments = parsed.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const hostMatch = AZURE_BLOB_HOST.exec(parsed.hostname);
  let account: string;
  let rest: string[];
  let accountUrl: string;
  if (hostMatch) {
    account = hostMatch[1].toLowerCase();
    rest = segments;
    accountUrl = `${parsed.protocol}//${parsed.host.toLowerCase()}`;
  } else {
    if (segments.length === 0) throw badUrl(url, "a path-style (emulator) URL needs /<account>/<container>, e.g. /devstoreaccount1/models");
    account = segments[0];
    rest = segments.slice(1);
    accountUrl = `${parsed.protocol}//${parsed.host}/${account}`;
  }
  const container = rest[0];
  if (!container) throw badUrl(url, "it names no container: add /<container> after the account");
  if (!CONTAINER_NAME.test(container)) {
    throw badUrl(url, `"${container}" is not a valid container name (3-63 lowercase letters, digits and single hyphens)`);
  }
  const prefix = rest.slice(1).join("/");
  return {
    kind: "blob",
    accountUrl,
    account,
    container,
    prefix,
    emulator: !hostMatch,
    url: `${accountUrl}/${container}${prefix ? `/${prefix.split("/").map(encodeURIComponent).join("/")}` : ""}`,
  };
}

/** A storage URL with path segments appended: `joinStorageUrl("file:///tmp/x", "runs", "r1")`. */
export function joinStorageUrl(base: string, ...parts: string[]): string {
  const location = parseStorageUrl(base);
  const tail = parts.flatMap((p) => p.split("/")).filter(Boolean);
  if (location.kind === "file") return fileLocation(path.join(location.path, ...tail)).url;
  return `${location.url.replace(/\/+$/, "")}${tail.length ? `/${tail.map(encodeURIComponent).join("/")}` : ""}`;
}

function fileLocation(file: string): FileLocation {
  const abs = path.resolve(file);
  return { kind: "file", path: abs, url: pathToFileURL(abs).href };
}

function badUrl(url: string, why: string): StorageError {
  return new StorageError(
    "BAD_STORAGE_URL",
    `Storage URL "${url}" cannot be used: ${why}. Use a folder path, file:///abs/path, ` +
      `https://<account>.blob.core.windows.net/<container>/<prefix>, or an Azurite URL http://127.0.0.1:<port>/devstoreaccount1/<container>/<prefix>.`,
  );
}
