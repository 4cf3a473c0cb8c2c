// The Jupyter messaging protocol (v5.3) on the wire: frames, HMAC-SHA256 signatures, headers.
// https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = "<IDS|MSG>";

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class Signer {
  constructor(private readonly key: string) {}

  sign(parts: Array<string | Buffer>): string {
    if (!this.key) return "";
    const hmac = createHmac("sha256", this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  verify(signature: string, parts: Array<string | Buffer>): boolean {
    if (!this.key) return true;
    const expected = Buffer.from(this.sign(parts));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

export function newHeader(msgType: string, session: string): MessageHeader {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username: "custom-ai",
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** Frames of a message sent by a client (a DEALER socket sends no routing identities). */
export function encode(signer: Signer, msg: Omit<Message, "buffers">): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) =>
    Buffer.from(JSON.stringify(p)),
  );
  return [Buffer.from(DELIMITER), Buffer.from(signer.sign(parts)), ...parts];
}

/** Parses received frames; returns undefined for a frame set that is not a valid, correctly signed message. */
export function decode(signer: Signer, frames: Buffer[]): Message | undefined {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (at < 0 || frames.length < at + 6) return undefined;
  const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6);
  if (!signer.verify(signature.toString(), [header, parent, metadata, content])) return undefined;
  try {
    return {
      header: JSON.parse(header.toString()),
      parent_header: JSON.parse(parent.toString()),
      metadata: JSON.parse(metadata.toString()),
      content: JSON.parse(content.toString()),
      buffers: frames.slice(at + 6),
    };
  } catch {
    return undefined;
  }
}
