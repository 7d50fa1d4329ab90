import { z } from 'zod';

/**
 * What an API key may be allowed to do. A route that accepts API keys names the one scope it
 * needs (`scope` in its definition); routes without a scope (sign-in, session and key
 * management, admin) accept access tokens only, so a leaked key cannot mint more keys.
 * The catalogue is fixed up front so keys created today stay valid as domains land.
 */
export const apiKeyScopes = [
  'account:read',
  'wallet:read',
  'wallet:write',
  'trading:read',
  'trading:write',
  'copy:read',
  'copy:write',
  'market:write',
] as const;

export type ApiKeyScope = (typeof apiKeyScopes)[number];

export const apiKeyScopeSchema = z.enum(apiKeyScopes).meta({ id: 'ApiKeyScope' });
