/** Files at least this large get a progress bar (when stderr is a terminal): below it parsing takes well under a second. */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

const WIDTH = 30;

/** A one-line progress bar redrawn in place with `\r`; it draws only when the whole percent changes. */
export interface ProgressBar {
  update(bytesRead: number): void;
  /** Clears the line so the next output starts clean. */
  done(): void;
}

/**
 * A progress bar for reading `totalBytes` bytes of `label`, on a terminal stream.
 *
 * @example
 * const bar = progressBar(process.stderr, "2088…_transaction_20240102.txt", size);
 * await openReconciliationFile(path, { onProgress: (bytes) => bar.update(bytes) });
 */
export function progressBar(stream: NodeJS.WritableStream, label: string, totalBytes: number): ProgressBar {
  let shown = -1;
  let drawn = false;
  const name = label.length > 40 ? `…${label.slice(-39)}` : label;
  return {
    update(bytesRead) {
      const percent = totalBytes > 0 ? Math.min(100, Math.floor((bytesRead / totalBytes) * 100)) : 100;
      if (percent === shown) return;
      shown = percent;
      drawn = true;
      const filled = Math.round((percent / 100) * WIDTH);
      stream.write(
        `\r${name} [${"#".repeat(filled)}${" ".repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${megabytes(bytesRead)}/${megabytes(totalBytes)} MB`,
      );
    },
    done() {
      if (drawn) stream.write("\r\u001b[2K");
      drawn = false;
    },
  };
}

function megabytes(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}
