// Asks a server who we are, to check a login: serverInfo and the file index
// through plain GraphQL over HTTP. The index also tells `smsync sync` what it
// is about to download, for its progress.
import type { ErrorCode } from "@smsync/protocol";

export interface ServerFile {
  fileUUID: string;
  cloudFileName: string;
  sha256: string;
  size: number;
  deleted: boolean;
}

export type ServerCheck =
  | { ok: true; version: string; files: number; liveFiles: number; index: ServerFile[] }
  | { ok: false; reason: "unreachable" | "unauthenticated" | "notSmsync"; message: string };

export async function checkServer(server: string, token: string): Promise<ServerCheck> {
  let response: Response;
  try {
    response = await fetch(new URL("/graphql", server), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: "{ serverInfo { version } fileIndex { files { fileUUID cloudFileName sha256 size deleted } } }",
      }),
    });
  } catch (error) {
    return { ok: false, reason: "unreachable", message: `cannot reach ${server}: ${(error as Error).message}` };
  }
  let body: {
    data?: { serverInfo?: { version: string }; fileIndex?: { files: ServerFile[] } };
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    // Not JSON is not an smsync server's answer (below); a body cut off is an unreachable server.
    if (error instanceof SyntaxError) body = null;
    else
      return { ok: false, reason: "unreachable", message: `${server} stopped answering: ${(error as Error).message}` };
  }
  if (!body || (!body.data && !body.errors)) {
    return {
      ok: false,
      reason: "notSmsync",
      message: `${server} did not answer as an smsync server (HTTP ${response.status})`,
    };
  }
  if (body.errors?.some((error) => error.extensions?.code === ("UNAUTHENTICATED" satisfies ErrorCode))) {
    return { ok: false, reason: "unauthenticated", message: "the server refused the token" };
  }
  if (!body.data?.serverInfo || !body.data.fileIndex) {
    return { ok: false, reason: "notSmsync", message: body.errors?.[0]?.message ?? "unexpected answer" };
  }
  const files = body.data.fileIndex.files;
  return {
    ok: true,
    version: body.data.serverInfo.version,
    files: files.length,
    liveFiles: files.filter((file) => !file.deleted).length,
    index: files,
  };
}
