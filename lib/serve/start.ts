import { createScoringServer, type ScoringServer, type ScoringServerOptions } from "./server.js";

export interface StartedScoringServer {
  server: ScoringServer;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Stops accepting, lets requests in flight finish, releases the model. */
  close(): Promise<void>;
}

/**
 * Creates the server, waits until the model is loaded and warmed up, and listens (default: a free
 * port on 127.0.0.1). The one call a notebook needs: `const { url, close } = await startScoringServer({ model })`.
 */
export async function startScoringServer(options: ScoringServerOptions & { port?: number; host?: string }): Promise<StartedScoringServer> {
  const server = createScoringServer(options);
  try {
    await server.scoring.loaded;
    const url = await server.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1" });
    return { server, url, close: () => server.close() };
  } catch (e) {
    await server.close();
    throw e;
  }
}
