import { ImageInputError } from "./errors.js";

// Standard or URL-safe alphabet, padding optional; line breaks (MIME) are allowed and dropped.
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*?);base64,/i;

/**
 * The bytes of a base64 string or a `data:<type>;base64,` URL. Strict, unlike Buffer.from(s,
 * "base64"), which skips characters it does not know: a mistake is reported, not decoded to noise.
 */
export function decodeBase64Image(text: string): Uint8Array {
  let body = text;
  if (/^data:/i.test(text)) {
    const m = DATA_URL.exec(text);
    if (!m) throw new ImageInputError("not-base64", 'is a data: URL without ";base64," (send data:image/png;base64,<data>)');
    body = text.slice(m[0].length);
  }
  body = body.replace(/[\r\n]/g, "");
  if (body.length === 0) throw new ImageInputError("not-base64", "is an empty string");
  if (!BASE64.test(body) || body.replace(/=+$/, "").length % 4 === 1) {
    const at = body.search(/[^A-Za-z0-9+/\-_=]/);
    const detail = at >= 0 ? `: ${JSON.stringify(body[at])} at position ${at}` : " (its length or padding is wrong)";
    throw new ImageInputError("not-base64", `is not base64${detail}; send the PNG or JPEG file's bytes base64-encoded, or a data: URL`);
  }
  return new Uint8Array(Buffer.from(body, "base64")); // Node's base64 decoder reads both alphabets
}
