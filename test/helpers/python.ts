// Asked once at a test file's load, before the file starts a server, a worker or a pool.
// eslint-disable-next-line no-restricted-syntax
import { execFileSync } from 'node:child_process';

/** Whether NW_PYTHON (default python3) can import torch and onnx: CI installs them (.ci/run). */
export function torchAvailable(python = process.env.NW_PYTHON ?? 'python3'): boolean {
  try {
    execFileSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}
