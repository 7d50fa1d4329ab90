import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';

/** Emails are compared case-insensitively and stored lower-cased. */
const email = z.email().max(254).meta({ example: 'alice@example.com' });

/** Length-only policy (NIST SP 800-63B / ASVS): no composition rules. */
const newPassword = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.enum(['user', 'viewer', 'admin']),
    status: z.enum(['active', 'pending', 'disabled']),
    created_at: timestamp,
  })
  .meta({ id: 'User' });

export const tokenPairSchema = z
  .object({
    token_type: z.literal('Bearer'),
    access_token: z.string().meta({ description: 'JWT to send as `Authorization: Bearer …`' }),
    expires_in: z.number().int().meta({ description: 'Seconds until the access token expires' }),
    refresh_token: z.string().meta({ description: 'Opaque; single use: each refresh returns a new one' }),
    refresh_expires_in: z.number().int().meta({ description: 'Seconds until the refresh token expires' }),
    user: userSchema,
  })
  .meta({ id: 'TokenPair' });

export const authRoutes = {
  register: defineRoute({
    id: 'auth.register',
    method: 'POST',
    path: '/auth/register',
    summary: 'Create an account',
    tags: ['auth'],
    auth: 'public',
    body: z.strictObject({ email, password: newPassword }),
    response: z.object({ user: userSchema }),
    successStatus: 201,
    errors: ['email_taken'],
    rateLimit: 'auth',
  }),
  login: defineRoute({
    id: 'auth.login',
    method: 'POST',
    path: '/auth/login',
    summary: 'Sign in with email and password',
    tags: ['auth'],
    auth: 'public',
    body: z.strictObject({ email, password: z.string().min(1).max(1024) }),
    response: tokenPairSchema,
    errors: ['invalid_credentials', 'account_disabled'],
    rateLimit: 'auth',
  }),
  refresh: defineRoute({
    id: 'auth.refresh',
    method: 'POST',
    path: '/auth/refresh',
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'Refresh tokens rotate on every use. Presenting a token that was already exchanged revokes its whole session family.',
    tags: ['auth'],
    auth: 'public',
    body: z.strictObject({ refresh_token: z.string().min(1).max(512) }),
    response: tokenPairSchema,
    errors: ['invalid_token', 'refresh_token_reused', 'account_disabled'],
    rateLimit: 'auth',
  }),
  logout: defineRoute({
    id: 'auth.logout',
    method: 'POST',
    path: '/auth/logout',
    summary: 'Sign out: revoke this session’s refresh tokens and the access token',
    tags: ['auth'],
    auth: 'user',
    roles: ['user', 'viewer', 'admin'],
    response: z.null(),
    successStatus: 204,
    errors: [],
  }),
  me: defineRoute({
    id: 'auth.me',
    method: 'GET',
    path: '/auth/me',
    summary: 'The signed-in user',
    tags: ['auth'],
    auth: 'user',
    response: userSchema,
    errors: [],
  }),
} as const;
