import type { ByteRange } from '../storage/artifact-store';

/**
 * One `Range: bytes=…` of a file of `size` bytes (RFC 9110 §14): `start-end`, `start-` or the
 * last `-n` bytes; an end past the file is cut to it. Several ranges, another unit or a malformed
 * header: undefined, and the whole file is sent (as the RFC allows). A start past the end:
 * 'unsatisfiable' (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}
