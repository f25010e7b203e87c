import { isAscii, isUtf8 } from "node:buffer";
import { open } from "node:fs/promises";
import iconv from "iconv-lite";

/** Text encodings Alipay's files come in: UTF-8 (with or without BOM), or GBK from older systems. */
export type ReconEncoding = "utf8" | "gbk";

/**
 * Where a file's bytes come from: a path, a Node stream (an SFTP download, stdin), any async
 * iterable of chunks, or bytes already in memory.
 */
export type ReconSource = string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;

/** A line longer than the limit; its bytes were skipped, never held. */
export class OverlongLine {
  constructor(readonly bytes: number) {}
}

/** A decoded line (without its `\n` or `\r\n`), or the marker of a line too long to keep. */
export type DecodedLine = string | OverlongLine;

/**
 * Whole lines joined by `\n` (the last one without it; each may end in `\r`), a chunk's worth. The
 * records are read from `text` in place, so a line never becomes a string of its own unless it is
 * needed (a header line, an error message); get any part of it with `slice`.
 *
 * Valid UTF-8 with some non-ASCII bytes is not decoded as a whole: `text` is its bytes as Latin-1
 * (one character per byte, a plain copy), which is enough to find `\n`, `|` and digits, and only
 * the parts a record keeps that hold a byte ≥ 0x80 are decoded, from `bytes`. Decoding every
 * chunk to UTF-16 was a sixth of the parser's time.
 */
export class TextBlock {
  constructor(
    /** The lines, decoded; or, when `bytes` is set, those bytes as Latin-1. */
    readonly text: string,
    /** The UTF-8 bytes `text` stands for, when it is not decoded. */
    readonly bytes: Buffer | null,
  ) {}

  /** `text[start, end)` decoded. */
  slice(start: number, end: number): string {
    const { text, bytes } = this;
    if (bytes !== null) {
      for (let i = start; i < end; i++) {
        if (text.charCodeAt(i) > 0x7f) return bytes.toString("utf8", start, end);
      }
    }
    return text.slice(start, end);
  }
}

/** What the decoder yields: a block of lines, or one overlong line. */
export type DecodedBlock = TextBlock | OverlongLine;

export interface LineDecoderOptions {
  readonly encoding: "auto" | ReconEncoding;
  /** Bytes a line may take before it is skipped as overlong; bounds memory on garbage input. */
  readonly maxLineBytes: number;
  readonly onBytes?: (bytes: number) => void;
}

/** What the decoder found out while reading; filled in as it goes. */
export interface LineDecoderState {
  /** `gbk` once any line needed it; `utf8` otherwise. */
  encoding: ReconEncoding;
  bom: boolean;
  bytesRead: number;
}

const NEWLINE = 0x0a;

/** Bytes read from a file at a time. */
const FILE_CHUNK_BYTES = 1 << 16;

/** Opens a source as chunks; a path is streamed, never read whole. */
export function sourceChunks(source: ReconSource): AsyncIterable<Uint8Array | string> {
  if (typeof source === "string") return fileChunks(source);
  if (source instanceof Uint8Array)
    return (async function* () {
      yield source;
    })();
  return source as AsyncIterable<Uint8Array | string>;
}

/**
 * A file's bytes, 64 KiB at a time, the next read already under way while the caller works on the
 * current chunk. A `fs.ReadStream` only asks for the next chunk once the one handed out has been
 * dealt with (its read-more runs on `nextTick`, after the whole block has been parsed in
 * microtasks), so the parser sat idle for every read: 15% of its time on a 134 MB file.
 */
async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, "r");
  let pending: Promise<{ bytesRead: number; buffer: Buffer }> | null = null;
  try {
    pending = handle.read(Buffer.allocUnsafe(FILE_CHUNK_BYTES), 0, FILE_CHUNK_BYTES, null);
    for (;;) {
      const { bytesRead, buffer } = await pending;
      pending = null;
      if (bytesRead === 0) return;
      pending = handle.read(Buffer.allocUnsafe(FILE_CHUNK_BYTES), 0, FILE_CHUNK_BYTES, null);
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    // Stopped early: let the read under way finish before closing the file under it.
    if (pending !== null) await pending.catch(() => undefined);
    await handle.close();
  }
}

/**
 * Cuts bytes at line ends before decoding them, a chunk's worth of lines at a time. Splitting on
 * the byte 0x0A is safe in UTF-8 and in GBK (no multi-byte character contains it), whereas `|`
 * (0x7C) can be the second byte of a GBK character, so GBK is decoded before fields are split
 * (UTF-8 never has it inside a character: its fields are split on the bytes, see `TextBlock`).
 * In "auto" mode the first 64 KiB decide the encoding (see `sniffEncoding`).
 *
 * Memory: the 64 KiB window, one chunk (and its text) and one partial line, whatever the file size.
 */
export async function* decodeLines(
  source: AsyncIterable<Uint8Array | string>,
  options: LineDecoderOptions,
  state: LineDecoderState,
): AsyncGenerator<DecodedBlock> {
  let encoding = options.encoding;
  const chunks = encoding === "auto" ? sniffEncoding(source, (found) => (encoding = found)) : source;
  let pending: Buffer | null = null;
  let bomChecked = false;
  let skippedBytes = -1; // ≥ 0 while skipping the rest of an overlong line
  for await (const raw of chunks) {
    let chunk = toBuffer(raw);
    state.bytesRead += chunk.length;
    options.onBytes?.(chunk.length);
    if (skippedBytes >= 0) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        skippedBytes += chunk.length;
        continue;
      }
      yield new OverlongLine(skippedBytes + nl);
      skippedBytes = -1;
      chunk = chunk.subarray(nl + 1);
    }
    if (!bomChecked) {
      const buf: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      if (buf.length < 3) {
        pending = buf;
        continue;
      }
      chunk = stripBom(buf, state);
      bomChecked = true;
    }
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) {
      const buf: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      if (buf.length > options.maxLineBytes) skippedBytes = buf.length;
      else pending = buf;
      continue;
    }
    // The line begun in earlier chunks is completed on its own (joining the whole chunk to it
    // would copy every byte of the file once more); the rest of the chunk's lines are one block.
    const last = chunk.lastIndexOf(NEWLINE);
    const head = pending === null ? null : Buffer.concat([pending, chunk.subarray(0, first)]);
    const body = head === null ? chunk.subarray(0, last) : first < last ? chunk.subarray(first + 1, last) : null;
    pending = last + 1 < chunk.length ? chunk.subarray(last + 1) : null;
    const headKind = byteKind(head);
    const bodyKind = byteKind(body);
    const gbk = readsAsGbk(headKind, bodyKind, encoding, state);
    if (head !== null) yield decode(head, headKind, gbk);
    if (body !== null) yield decode(body, bodyKind, gbk);
  }
  if (skippedBytes >= 0) {
    yield new OverlongLine(skippedBytes);
  } else if (pending !== null && pending.length > 0) {
    if (!bomChecked) pending = stripBom(pending, state);
    const kind = byteKind(pending);
    yield decode(pending, kind, readsAsGbk(kind, "ascii", encoding, state));
  }
}

/** Bytes looked at before deciding between UTF-8 and GBK for the whole file. */
const SNIFF_BYTES = 1 << 16;

/**
 * Decides the encoding of a file from its first 64 KiB: bytes that are not valid UTF-8 there make
 * the whole file GBK. Deciding per file rather than per line matters because a short GBK text can
 * happen to be valid UTF-8 (沙 is C9 B3 in GBK, "ɳ" in UTF-8); only a file whose first 64 KiB are
 * all such ambiguous pairs is read as UTF-8, the spec's default. Past the window, a run of lines
 * that is not valid UTF-8 is still read as GBK.
 */
async function* sniffEncoding(source: AsyncIterable<Uint8Array | string>, decide: (encoding: ReconEncoding) => void): AsyncGenerator<Buffer> {
  const held: Buffer[] = [];
  let size = 0;
  let decided = false;
  for await (const raw of source) {
    const chunk = toBuffer(raw);
    if (decided) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    size += chunk.length;
    if (size < SNIFF_BYTES) continue;
    const window = Buffer.concat(held);
    // Check whole lines only: the window may end inside a multi-byte character.
    const end = window.lastIndexOf(NEWLINE);
    if (!isUtf8(window.subarray(0, end < 0 ? Math.max(0, window.length - 3) : end))) decide("gbk");
    decided = true;
    held.length = 0;
    yield window;
  }
  if (!decided && size > 0) {
    const window = Buffer.concat(held);
    if (!isUtf8(window)) decide("gbk");
    yield window;
  }
}

function toBuffer(raw: Uint8Array | string): Buffer {
  if (typeof raw === "string") return Buffer.from(raw, "utf8");
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

function stripBom(buf: Buffer, state: LineDecoderState): Buffer {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    state.bom = true;
    return buf.subarray(3);
  }
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    throw new UnsupportedEncodingError("UTF-16");
  }
  return buf;
}

/** How a run of bytes reads: all ASCII, valid UTF-8 with some non-ASCII, or not UTF-8. */
type ByteKind = "ascii" | "utf8" | "other";

function byteKind(bytes: Buffer | null): ByteKind {
  if (bytes === null || isAscii(bytes)) return "ascii";
  return isUtf8(bytes) ? "utf8" : "other";
}

/**
 * Whether the lines of one chunk (the end of a line begun earlier, the chunk's own lines) are GBK:
 * when the file is, or in "auto" mode when they are not valid UTF-8 (decided for both together, as
 * if they were one block: a chunk read as GBK is read as GBK whole).
 */
function readsAsGbk(head: ByteKind, body: ByteKind, encoding: "auto" | ReconEncoding, state: LineDecoderState): boolean {
  if (encoding === "gbk" || state.encoding === "gbk" || (encoding === "auto" && (head === "other" || body === "other"))) {
    state.encoding = "gbk";
    return true;
  }
  return false;
}

function decode(bytes: Buffer, kind: ByteKind, gbk: boolean): TextBlock {
  if (gbk) return new TextBlock(iconv.decode(bytes, "gbk"), null);
  if (kind === "ascii") return new TextBlock(bytes.toString("latin1"), null);
  if (kind === "utf8") return new TextBlock(bytes.toString("latin1"), bytes);
  // Told UTF-8 but not valid: decoded whole, with U+FFFD where it is not.
  return new TextBlock(bytes.toString("utf8"), null);
}

/** Thrown for a byte-order mark of an encoding Alipay does not use. */
export class UnsupportedEncodingError extends Error {
  override readonly name = "UnsupportedEncodingError";
  constructor(readonly encoding: string) {
    super(`the file is ${encoding} (byte-order mark); expected UTF-8 or GBK`);
  }
}
