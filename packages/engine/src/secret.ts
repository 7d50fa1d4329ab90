import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@tradeplane/core';
import type { DatabaseTarget } from './options.js';

/**
 * The JWT secret when none is configured (never in production): generated once and kept in a
 * file next to the SQLite database, so tokens survive restarts; for in-memory and Postgres
 * databases it lives only as long as the process.
 */
export function developmentSecret(target: DatabaseTarget, logger: Logger): string {
  if (target.dialect === 'sqlite' && 'path' in target && target.path !== ':memory:') {
    const file = `${target.path}.secret`;
    if (existsSync(file)) {
      const stored = readFileSync(file, 'utf8').trim();
      if (stored.length >= 32) return stored;
    }
    const secret = randomBytes(32).toString('base64url');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, secret + '\n', { mode: 0o600 });
    logger.warn(`No auth.jwtSecret configured: generated a development secret in ${file}. Set auth.jwtSecret in production.`);
    return secret;
  }
  logger.warn('No auth.jwtSecret configured: using a random secret for this process only; tokens will not survive a restart.');
  return randomBytes(32).toString('base64url');
}
