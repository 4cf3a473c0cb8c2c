// Hostile and malformed requests for the scoring server, generated from a seed (a failure
// reproduces): random JSON, wrong types, broken records and V2 tensors, huge arrays, deep nesting,
// invalid UTF-8, random bytes, wrong content types, malformed HTTP, slow bodies — and a share of
// valid requests, which must keep scoring correctly while the rest is going on.
import { mulberry32 } from "../../../lib/data/random.js";

/** What the fuzzer knows of the served model (from /v2/models/{name}). */
export interface FuzzTarget {
  model: string;
  inputName: string;
  features: string[];
  /** A valid record, for mutating. */
  record(i: number): Record<string, number>;
  /** Server limits, to aim just over them. */
  bodyLimit: number;
  maxRows: number;
  /** For an image model: valid PNG files of the model's size (the rest is mutated from them). */
  image?: { width: number; height: number; png(i: number): Uint8Array; wrongSize(i: number): Uint8Array };
}

export type Category =
  | "valid"
  | "random-json"
  | "broken-record"
  | "broken-v2"
  | "huge"
  | "deep-nesting"
  | "invalid-utf8"
  | "random-bytes"
  | "content-type"
  | "malformed-http"
  | "slow-body"
  | "hostile-image";

export interface FuzzCase {
  category: Category;
  /** The raw request: bytes sent as they are (the client adds nothing). */
  chunks: Buffer[];
  /** Pause between chunks (slow bodies). */
  delayMs?: number;
  /** The status a valid request must get (200); others must get a 4xx. */
  expectOk?: boolean;
  /** Malformed HTTP may be answered by a closed connection instead of a 4xx. */
  mayClose?: boolean;
  /** A mutated image that may still decode (a flipped pixel byte): 200 or a 4xx are both right. */
  mayScore?: boolean;
}

const CRLF = "\r\n";

/** One HTTP/1.1 request as bytes; `Connection: close` so the server ends the exchange. */
export function httpRequest(method: string, url: string, body: Buffer | string, headers: Record<string, string> = {}): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  const head = [`${method} ${url} HTTP/1.1`, "Host: fuzz", "Connection: close", ...Object.entries({ "Content-Length": String(b.length), ...headers }).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(head.join(CRLF) + CRLF + CRLF), b]);
}

export function generateCases(target: FuzzTarget, count: number, seed: number, options: { slow?: number; slowDelayMs?: number } = {}): FuzzCase[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (n: number) => Math.floor(rand() * n);
  const score = "/score";
  const infer = `/v2/models/${target.model}/infer`;
  const post = (url: string, body: Buffer | string, type = "application/json", extra: Record<string, string> = {}) =>
    httpRequest("POST", url, body, type ? { "Content-Type": type, ...extra } : extra);
  const json = (url: string, value: unknown) => post(url, JSON.stringify(value) ?? "null");

  function randomJson(depth = 0): unknown {
    const kinds = depth > 3 ? ["num", "str", "bool", "null"] : ["num", "str", "bool", "null", "arr", "obj"];
    switch (pick(kinds)) {
      case "num":
        return pick([0, -0, -1, 1e308, -1e-308, 3.14, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
      case "str":
        return pick(["", "NaN", "Infinity", "-Infinity", "1", "1e999", "\u0000", "💥", "\ud800", "<script>", "a".repeat(int(300))]);
      case "bool":
        return rand() < 0.5;
      case "null":
        return null;
      case "arr":
        return Array.from({ length: int(6) }, () => randomJson(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: int(6) }, (_, i) => [pick([...target.features, "records", "instances", "inputs", "images", "__proto__", "constructor", `k${i}`]), randomJson(depth + 1)]),
        );
    }
  }

  function brokenRecord(): Record<string, unknown> {
    const r: Record<string, unknown> = { ...target.record(int(100)) };
    const f = pick(target.features);
    switch (int(5)) {
      case 0:
        delete r[f];
        break;
      case 1:
        r[f] = pick(["NaN", "Infinity", null, "", [], {}, true, "12", [1]]);
        break;
      case 2:
        r[`${f}_x`] = 1;
        break;
      case 3:
        // An own "__proto__" key, as JSON can carry it (prototype poisoning).
        Object.defineProperty(r, "__proto__", { value: { [f]: 1 }, enumerable: true, configurable: true, writable: true });
        delete r[f];
        break;
      default:
        r[f] = { valueOf: 1 };
    }
    return r;
  }

  function brokenV2(): unknown {
    const input: Record<string, unknown> = { name: target.inputName, shape: [1, target.features.length], datatype: "FP32", data: Object.values(target.record(int(100))) };
    const key = pick(["name", "shape", "datatype", "data"]);
    const replacement = pick([null, "x", "BYTES", "FP16", "INT8", [], [1], [0, 4], [-1, 4], [1, 4, 1], ["1", 2, 3, 4], [1, 2, 3, null], {}, 7, true, [1.5, 4]]);
    input[key] = replacement;
    // Keep it broken: a replacement that happens to be valid is changed again.
    if (key === "datatype" && typeof replacement === "string") input.datatype = "FP16-" + replacement;
    if (key === "name") input.name = 7;
    if (key === "data") input.data = [1, "2", null];
    return pick([{ inputs: [input] }, { inputs: input }, { inputs: [input, input] }, { inputs: [] }, [input], { inputs: [input], outputs: [{ name: 7 }] }, { id: 5, inputs: [input] }]);
  }

  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  const image = target.image;
  const valid = (): FuzzCase => {
    const i = int(100);
    if (image) {
      const png = image.png(i);
      const body = pick([
        () => post(score, Buffer.from(png), "image/png"),
        () => json(score, { images: [b64(png), `data:image/png;base64,${b64(image.png(i + 1))}`] }),
        () => json(infer, { inputs: [{ name: target.inputName, shape: [1], datatype: "BYTES", data: [b64(png)] }] }),
      ])();
      return { category: "valid", chunks: [body], expectOk: true };
    }
    const body = pick([
      () => json(score, target.record(i)),
      () => json(score, { records: [target.record(i), target.record(i + 1)] }),
      () => json(infer, { inputs: [{ name: target.inputName, shape: [1, target.features.length], datatype: "FP32", data: Object.values(target.record(i)) }] }),
    ])();
    return { category: "valid", chunks: [body], expectOk: true };
  };

  const generators: Partial<Record<Exclude<Category, "valid" | "slow-body">, () => FuzzCase>> = {
    "random-json": () => {
      const v = randomJson();
      // A random object could, by chance, be a valid record: wrap it so that it never is.
      const body = typeof v === "object" && v !== null && !Array.isArray(v) ? { ...v, zzz: v } : v;
      return { category: "random-json", chunks: [json(pick([score, infer]), body)] };
    },
    "broken-record": () => ({
      category: "broken-record",
      chunks: [
        json(
          score,
          pick([
            () => brokenRecord(),
            () => ({ records: [target.record(1), brokenRecord()] }),
            () => ({ records: brokenRecord() }),
            () => ({ instances: [Object.values(target.record(1)), [pick([null, "1", [], {}]), ...Object.values(target.record(1)).slice(1)]] }),
            () => ({ instances: [Object.values(target.record(1)).slice(1)] }),
            () => ({ records: [], extra: 1 }),
            () => ({ images: [pick(["", "not base64!", "iVBORw0KGgo=", "data:image/png;base64,AAAA"])] }),
          ])(),
        ),
      ],
    }),
    "broken-v2": () => ({ category: "broken-v2", chunks: [json(infer, brokenV2())] }),
    huge: () => {
      const width = target.features.length || (image ? image.width * image.height : 1);
      const kind = int(5);
      if (kind === 0) {
        // Over the body limit.
        const rows = Math.ceil(target.bodyLimit / (width * 2)) + 10; // "1," per value
        return { category: "huge", chunks: [json(score, { instances: Array.from({ length: rows }, () => Array(width).fill(1)) })] };
      }
      if (kind === 1) return { category: "huge", chunks: [json(score, { instances: Array.from({ length: target.maxRows + 1 + int(50) }, () => Array(width).fill(1)) })] };
      if (kind === 2) return { category: "huge", chunks: [json(infer, { inputs: [{ name: target.inputName, shape: [1_000_000_000, width], datatype: "FP32", data: [1] }] })] };
      if (kind === 3) return { category: "huge", chunks: [json(score, { [target.features[0]]: "x".repeat(Math.floor(target.bodyLimit * 0.9)) })] };
      // A declared body far over the limit: refused on the header, before it is read.
      return { category: "huge", chunks: [post(score, "{}", "application/json", { "Content-Length": String(target.bodyLimit * 100) })], mayClose: true };
    },
    "deep-nesting": () => {
      const depth = pick([100, 1_000, 10_000, 50_000]);
      const body = pick([
        () => `{"instances":${"[".repeat(depth)}${"]".repeat(depth)}}`,
        () => `${`{"${target.features[0]}":`.repeat(depth)}1${"}".repeat(depth)}`,
        () => `{"inputs":[{"name":"${target.inputName}","shape":[1,1],"datatype":"FP32","data":${"[".repeat(depth)}1${"]".repeat(depth)}}]}`,
        () => `{"records":[${"[".repeat(depth)}${"]".repeat(depth)}]}`,
      ])();
      return { category: "deep-nesting", chunks: [post(pick([score, infer]), body)] };
    },
    "invalid-utf8": () => {
      const bad = pick([[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]]);
      const f = pick(target.features);
      const body = Buffer.concat([Buffer.from(`{"${f}":"`), Buffer.from(bad), Buffer.from(`","${target.features.filter((x) => x !== f).join('":1,"')}":1}`)]);
      const key = Buffer.concat([Buffer.from('{"'), Buffer.from(bad), Buffer.from('":1}')]);
      return { category: "invalid-utf8", chunks: [post(pick([score, infer]), pick([body, key]))] };
    },
    "random-bytes": () => ({
      category: "random-bytes",
      chunks: [post(pick([score, infer]), Buffer.from(Array.from({ length: 1 + int(512) }, () => int(256))), pick(["application/json", "application/octet-stream", "image/png", ""]))],
    }),
    "content-type": () => {
      const body = JSON.stringify(target.record(1));
      const type = pick([
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json; charset=latin1",
        "application/jsonx",
        "image/gif",
        "",
      ]);
      const extra = pick<Record<string, string>>([{}, { "Content-Encoding": "gzip" }, { "Content-Encoding": "br" }, { "Content-Encoding": "compress" }]);
      // An unsupported encoding or type must be refused, even if the bytes are valid JSON.
      if (type === "" && Object.keys(extra).length === 0) return { category: "content-type", chunks: [post(score, "age=1", "application/x-www-form-urlencoded")] };
      return { category: "content-type", chunks: [post(score, body, type, extra)] };
    },
    "malformed-http": () => {
      const raw = pick([
        () => "GARBAGE\r\n\r\n",
        () => `POST /score HTTP/1.1\r\nHost: fuzz\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}`,
        () => `POST /score HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{}{}{}`,
        () => `POST /score HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
        () => `POST /score HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        () => `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n`,
        () => `GET /healthz HTTP/1.1\r\nHost: fuzz\r\nX-Big: ${"b".repeat(40_000)}\r\nConnection: close\r\n\r\n`,
        () => `POST /v2/models/../score HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
        () => `POST /v2/models/%00/infer HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
        () => `BREW /score HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n`,
        () => `DELETE /score HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n`,
        () => `POST /score HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`,
        () => `POST /score?x=${"%".repeat(100)} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
        () => `POST /score HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n\u0000\u0000`,
        () => `GET /metrics\u0000 HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n`,
        () => `POST /score HTTP/9.9\r\nHost: fuzz\r\nConnection: close\r\n\r\n`,
      ])();
      return { category: "malformed-http", chunks: [Buffer.from(raw, "latin1")], mayClose: true };
    },
  };
  // Images cut, patched and lied about: every one refused (or, for a flipped pixel byte that still
  // decodes, scored), never a crash, never a decoded bomb.
  const hostileImage = (): FuzzCase => {
    const png = Buffer.from(image ? image.png(int(100)) : Buffer.from("89504e470d0a1a0a", "hex"));
    const mutate = pick([
      () => ({ bytes: png.subarray(0, 8 + int(Math.max(1, png.length - 9))) }),
      () => {
        const b = Buffer.from(png);
        const at = 8 + int(b.length - 8);
        b[at] ^= 1 << int(8);
        return { bytes: b, mayScore: true };
      },
      () => {
        // IHDR claims 100000×100000 (the CRC is then wrong too).
        const b = Buffer.from(png);
        b.writeUInt32BE(100_000, 16);
        b.writeUInt32BE(100_000, 20);
        return { bytes: b };
      },
      () => ({ bytes: Buffer.from(image ? image.wrongSize(int(100)) : png) }),
      () => ({ bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(Array.from({ length: int(400) }, () => int(256)))]) }),
      () => ({ bytes: Buffer.from("GIF89a\x01\x00\x01\x00", "latin1") }),
      () => ({ bytes: Buffer.alloc(0) }),
    ])();
    const bytes: Buffer = mutate.bytes;
    const how = int(4);
    const chunk =
      how === 0
        ? post(score, bytes, pick(["image/png", "image/jpeg"]))
        : how === 1
          ? json(score, { images: [b64(bytes)] })
          : how === 2
            ? json(infer, { inputs: [{ name: target.inputName, shape: [1], datatype: "BYTES", data: [b64(bytes)] }] })
            : json(score, { images: pick([[7], [null], "x", [{}], [`data:text/plain;base64,${b64(bytes)}`], Array(target.maxRows + 1).fill(b64(bytes))]) });
    return { category: "hostile-image", chunks: [chunk], mayScore: "mayScore" in mutate && how < 3 };
  };
  if (image) generators["hostile-image"] = hostileImage;
  const kinds = Object.keys(generators) as (keyof typeof generators)[];
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) out.push(rand() < 0.08 ? valid() : generators[pick(kinds)]!());
  // Slow bodies: headers at once, then a byte now and then, slower than the request time-out.
  for (let i = 0; i < (options.slow ?? 0); i++) {
    const body = image ? Buffer.from(image.png(i)) : Buffer.from(JSON.stringify(target.record(i)));
    const type = image ? "image/png" : "application/json";
    const head = Buffer.from(`POST ${score} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    const drip = Array.from({ length: Math.min(body.length, 40) }, (_, k) => body.subarray(k, k + 1));
    out.push({ category: "slow-body", chunks: [head, ...drip], delayMs: options.slowDelayMs ?? 250 });
  }
  return out;
}
