// Failure injection: the next N requests that match answer with an ARM error instead (or, for a
// long-running operation, end in Failed with the error).
export interface Fault {
  method?: "GET" | "PUT" | "PATCH" | "DELETE" | "POST";
  /** Matches the request path (a substring, case-insensitive, or a RegExp). */
  path: string | RegExp;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** An immediate error answer. */
  status?: number;
  code?: string;
  message?: string;
  headers?: Record<string, string>;
  /** Accept the request, then end its long-running operation in Failed with this error. */
  operationError?: { code: string; message: string };
}

export function matches(f: Fault, method: string, path: string): boolean {
  if (f.method && f.method !== method) return false;
  return typeof f.path === "string" ? path.toLowerCase().includes(f.path.toLowerCase()) : f.path.test(path);
}

/** ARM's error body: { error: { code, message } }. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
