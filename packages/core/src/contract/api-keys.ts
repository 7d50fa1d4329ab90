import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { apiKeyScopeSchema } from './scopes.js';

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The key’s public part: `tp_<prefix>_…`' }),
    scopes: z.array(apiKeyScopeSchema),
    created_at: timestamp,
    expires_at: timestamp.nullable(),
    last_used_at: timestamp.nullable().meta({ description: 'Updated at most once a minute' }),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyRoutes = {
  create: defineRoute({
    id: 'apiKeys.create',
    method: 'POST',
    path: '/api-keys',
    summary: 'Create an API key (the secret is shown once)',
    description:
      'Keys look like `tp_<prefix>_<secret><checksum>`; only a hash is stored. Send one as `X-API-Key` to call routes that accept its scopes.',
    tags: ['api-keys'],
    auth: 'user',
    body: z.strictObject({
      name: z.string().min(1).max(100),
      scopes: z.array(apiKeyScopeSchema).min(1).max(16),
      expires_at: timestamp.optional(),
    }),
    response: z.object({ api_key: apiKeySchema, key: z.string().meta({ description: 'The secret; it cannot be shown again' }) }),
    successStatus: 201,
    errors: ['conflict'],
  }),
  list: defineRoute({
    id: 'apiKeys.list',
    method: 'GET',
    path: '/api-keys',
    summary: 'The signed-in user’s API keys (without secrets)',
    tags: ['api-keys'],
    auth: 'user',
    response: z.object({ api_keys: z.array(apiKeySchema) }),
    errors: [],
  }),
  revoke: defineRoute({
    id: 'apiKeys.revoke',
    method: 'DELETE',
    path: '/api-keys/{id}',
    summary: 'Revoke an API key',
    tags: ['api-keys'],
    auth: 'user',
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    response: z.null(),
    successStatus: 204,
    errors: ['not_found'],
  }),
} as const;
