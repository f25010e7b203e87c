import { fileURLToPath } from "node:url";
import { openReconciliationFile, type ReconParseOptions, type ReconRecordsFile } from "./parse";
import type { ReconSource } from "./lines";
import type { ReconRecord } from "./records";

/** Path of a file under `fixtures/`. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Opens a source that must hold records, and reads them all. */
export async function readAll(source: ReconSource, options: ReconParseOptions = {}): Promise<{ file: ReconRecordsFile; records: ReconRecord[] }> {
  const file = await openReconciliationFile(source, options);
  if (file.outcome !== "records") throw new Error(`expected records, got ${file.outcome}`);
  const records: ReconRecord[] = [];
  for await (const record of file) records.push(record);
  return { file, records };
}

/** Feeds bytes in chunks of the given sizes (cycled), to exercise chunk boundaries. */
export async function* chunked(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length]!);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}
