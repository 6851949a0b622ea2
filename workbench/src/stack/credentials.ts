/**
 * The MinIO root credentials of the local stack: generated once per state folder (they belong with the MinIO
 * data kept there), stored with mode 0600, never printed, never put on a command line. Spark gets them
 * through its environment.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface StackCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export const CREDENTIALS_FILE = 'credentials.json';

export function generateCredentials(): StackCredentials {
  return {
    accessKeyId: `wb${randomBytes(9).toString('hex')}`,
    // MinIO wants at least 8 characters; 32 url-safe ones carry 192 bits.
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
}

function valid(c: Partial<StackCredentials>): c is StackCredentials {
  return typeof c.accessKeyId === 'string' && c.accessKeyId.length >= 3 && typeof c.secretAccessKey === 'string' && c.secretAccessKey.length >= 8;
}

export function loadOrCreateCredentials(stateDir: string): { file: string; credentials: StackCredentials } {
  const file = path.join(stateDir, CREDENTIALS_FILE);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  try {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackCredentials>;
    if (valid(existing)) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { file, credentials: existing };
    }
  } catch {
    // absent or unreadable: generate
  }
  const credentials = generateCredentials();
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { file, credentials };
}
