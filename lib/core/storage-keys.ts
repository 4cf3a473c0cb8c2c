import { StorageError } from "./storage-errors.js";

/**
 * Checks and normalises a key: `/`-separated, no empty, "." or ".." segments. With
 * `allowEmpty`, "" (the root, for prefixes) is accepted. Throws StorageError BAD_KEY.
 */
export function normalizeKey(key: string, allowEmpty = false): string {
  const text = String(key ?? "").replace(/\\/g, "/").replace(/^\/+|\/+$/g, "");
  if (!text) {
    if (allowEmpty) return "";
    throw new StorageError("BAD_KEY", `An empty storage key was given: name the object, e.g. "runs/r1/result.json".`);
  }
  const parts = text.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new StorageError("BAD_KEY", `Storage key "${key}" has an empty, "." or ".." segment: use a plain relative path like "runs/r1/result.json".`);
  }
  return parts.join("/");
}

/** Joins key segments: joinKey("runs", "r1/", "x") → "runs/r1/x". */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ""))
    .filter(Boolean)
    .join("/");
}

/**
 * Normalises a listing prefix: like normalizeKey, but "" is the root and a trailing "/" is kept,
 * so "runs/r1/" matches only inside runs/r1 while "runs/r1" also matches runs/r10.
 */
export function normalizePrefix(prefix: string): string {
  const text = String(prefix ?? "").replace(/\\/g, "/");
  const key = normalizeKey(text, true);
  return key && text.endsWith("/") ? `${key}/` : key;
}
