// The server's file index (a query, never cached): step 2 of a pass, and the public client's fileIndex().
import type { Client } from "@urql/core";
import { fileIndexQuery } from "../graphql/operations.ts";
import { queryData } from "../graphql/queryData.ts";
import type { IndexEntry } from "./planDownloads.ts";

export async function fetchFileIndex(client: Client): Promise<IndexEntry[]> {
  const result = await client.query(fileIndexQuery, {}).toPromise();
  return queryData(result, "fileIndex").fileIndex.files.map(({ updatedAt: _updatedAt, ...entry }) => entry);
}
