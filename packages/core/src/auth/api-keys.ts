import type { EntitlementGate } from '../modules/entitlements.js';
import { randomBytes } from 'node:crypto';
import { TradeplaneError } from '../errors.js';
import type { Clock, Ids } from '../ports/index.js';
import type { ApiKeyRecord, Storage } from '../ports/storage.js';
import type { ApiKeyPrincipal } from '../ports/principals.js';
import type { ApiKeyScope } from '../contract/scopes.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { hashToken } from './tokens.js';

/** Who is calling, when the credential is an API key. */
export type { ApiKeyPrincipal };

export interface ApiKeyService {
  /** Returns the record and the secret key, which is never available again. */
  create(userId: string, input: { name: string; scopes: ApiKeyScope[]; expiresAt?: Date }, context?: RequestContext): Promise<{ apiKey: ApiKeyRecord; key: string }>;
  list(userId: string): Promise<ApiKeyRecord[]>;
  /** Throws `not_found` for a key that is not the user's: ids of other users' keys don't leak. */
  revoke(userId: string, id: string, context?: RequestContext): Promise<void>;
  /**
   * Throws `invalid_token` for a malformed, unknown, revoked or expired key or an inactive
   * owner, and `insufficient_scope` when `scope` is given and the key lacks it. Use is recorded
   * only for accepted requests.
   */
  authenticate(key: string, scope?: ApiKeyScope): Promise<ApiKeyPrincipal>;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_FORMAT = /^tp_([0-9A-Za-z]{8})_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;
/** Most keys a user may hold at once; a runaway script should not fill the table. */
const MAX_KEYS_PER_USER = 50;
/** `last_used_at` is written at most this often per key. */
const TOUCH_INTERVAL_MS = 60_000;

export function randomBase62(length: number): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * `tp_<prefix>_<secret><checksum>`: an 8-character public prefix (shown in listings), 32
 * base62 characters of secret (≈190 bits) and a 6-character CRC32 checksum, as GitHub's tokens
 * do — a secret scanner, or the server, can tell a real key from a typo without a lookup.
 */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = randomBase62(8);
  const body = `tp_${prefix}_${randomBase62(32)}`;
  return { key: body + checksum(body), prefix };
}

/** True when the key has the right shape and its checksum matches. */
export function isWellFormedApiKey(key: string): boolean {
  const match = KEY_FORMAT.exec(key);
  return !!match && checksum(key.slice(0, -6)) === key.slice(-6);
}

export function createApiKeyService(deps: { storage: Storage; clock: Clock; ids: Ids; audit: AuditLog; entitlements?: EntitlementGate }): ApiKeyService {
  const { storage, clock, ids, audit } = deps;
  const invalid = () => new TradeplaneError('invalid_token', 'The API key is invalid, expired or revoked');
  return {
    async create(userId, { name, scopes, expiresAt }, context) {
      const now = clock.now();
      if (expiresAt && expiresAt.getTime() <= now.getTime()) {
        throw new TradeplaneError('validation_failed', 'The expiry is in the past', {
          fields: [{ in: 'body', path: 'expires_at', code: 'in_the_past', message: 'must be in the future' }],
        });
      }
      const { key, prefix } = generateApiKey();
      const apiKey: ApiKeyRecord = {
        id: ids.next(),
        userId,
        name,
        prefix,
        keyHash: hashToken(key),
        scopes: [...new Set(scopes)].sort(),
        createdAt: now,
        expiresAt: expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null,
      };
      await storage.transaction(async (tx) => {
        await deps.entitlements?.check(tx, userId, 'maxApiKeys');
        if ((await tx.apiKeys.listForUser(userId)).length >= MAX_KEYS_PER_USER) {
          throw new TradeplaneError('conflict', `A user may hold at most ${MAX_KEYS_PER_USER} API keys; revoke one first`);
        }
        await tx.apiKeys.insert(apiKey);
        await audit.recordIn(tx, { actorId: userId, action: 'api_key.created', targetType: 'api_key', targetId: apiKey.id, details: { name, scopes: apiKey.scopes } }, context);
      });
      return { apiKey, key };
    },
    list: (userId) => storage.repos.apiKeys.listForUser(userId),
    async revoke(userId, id, context) {
      await storage.transaction(async (tx) => {
        if (!(await tx.apiKeys.revoke(id, userId, clock.now()))) throw new TradeplaneError('not_found', 'No such API key');
        await audit.recordIn(tx, { actorId: userId, action: 'api_key.revoked', targetType: 'api_key', targetId: id }, context);
      });
    },
    async authenticate(key, scope) {
      // A typo or a random string never reaches the database.
      if (!isWellFormedApiKey(key)) throw invalid();
      const state = await storage.repos.apiKeys.authState(hashToken(key));
      const now = clock.now();
      if (!state || state.key.revokedAt || (state.key.expiresAt && state.key.expiresAt.getTime() <= now.getTime()) || state.status !== 'active') {
        throw invalid();
      }
      if (scope && !state.key.scopes.includes(scope)) {
        throw new TradeplaneError('insufficient_scope', `This API key lacks the '${scope}' scope`, {
          headers: { 'www-authenticate': `Bearer realm="tradeplane", error="insufficient_scope", scope="${scope}"` },
        });
      }
      const last = state.key.lastUsedAt?.getTime() ?? 0;
      if (now.getTime() - last >= TOUCH_INTERVAL_MS) await storage.repos.apiKeys.touch(state.key.id, now, TOUCH_INTERVAL_MS);
      return { via: 'apiKey', userId: state.key.userId, role: state.role, apiKeyId: state.key.id, scopes: state.key.scopes as ApiKeyScope[] };
    },
  };
}
