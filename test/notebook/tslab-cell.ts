// Test helper: runs one cell on a kernel and returns its reply status and everything it wrote.
import type { Kernel } from "../../lib/notebook/index.js";

export async function runCell(kernel: Kernel, code: string): Promise<{ status: string; text: string }> {
  let text = "";
  const { done } = kernel.execute(code, (msg) => {
    const c = msg.content as { text?: string; data?: Record<string, string> };
    if (msg.header.msg_type === "stream") text += c.text ?? "";
    else if (c.data?.["text/plain"]) text += c.data["text/plain"] + "\n";
  });
  const { reply } = await done;
  // After a failed cell tslab aborts whatever arrives in the next 200 ms (its execQueue.reset).
  if (reply.content.status === "error") await new Promise((r) => setTimeout(r, 300));
  return { status: String(reply.content.status), text };
}
