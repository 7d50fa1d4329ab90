import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';

/** Emails are compared case-insensitively and stored lower-cased. */
const email = z.email().max(254).meta({ example: 'alice@example.com' });

/** Sign-in names: compared case-insensitively and stored lower-cased. */
const username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain letters, digits, dot, dash and underscore')
  .meta({ example: 'alice' });

/**
 * Length-only policy (NIST SP 800-63B, ASVS 5.0): no composition rules. The service also
 * refuses common passwords and ones equal to the email or username (422 with a field error),
 * and may require more than 8 characters (`auth.passwordPolicy.minLength`).
 */
const newPassword = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');

/** A password being checked, not set: any length up to a bound that keeps hashing cheap. */
const givenPassword = z.string().min(1).max(1024);

const deviceLabel = z.string().min(1).max(100).meta({ description: 'A name for this device, shown in the session list' });

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    username: z.string().nullable(),
    role: z.enum(['user', 'viewer', 'admin']),
    status: z.enum(['active', 'pending', 'disabled']),
    referral_code: z.string().nullable().meta({ description: 'The referral code given at sign-up' }),
    created_at: timestamp,
  })
  .meta({ id: 'User' });

export const tokenPairSchema = z
  .object({
    token_type: z.literal('Bearer'),
    access_token: z.string().meta({ description: 'JWT to send as `Authorization: Bearer …`' }),
    expires_in: z.number().int().meta({ description: 'Seconds until the access token expires' }),
    refresh_token: z
      .string()
      .optional()
      .meta({ description: 'Opaque; single use: each refresh returns a new one. Absent in cookie mode, where it travels in an HttpOnly cookie.' }),
    refresh_expires_in: z.number().int().meta({ description: 'Seconds until the refresh token expires' }),
    csrf_token: z
      .string()
      .optional()
      .meta({ description: 'Cookie mode only: send it as `X-CSRF-Token` when refreshing with the cookie' }),
    session_id: z.string(),
    user: userSchema,
  })
  .meta({ id: 'TokenPair' });

export const sessionSchema = z
  .object({
    id: z.string(),
    created_at: timestamp,
    last_used_at: timestamp,
    expires_at: timestamp.meta({ description: 'When the session ends however often it is refreshed' }),
    user_agent: z.string().nullable(),
    device_label: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().meta({ description: 'True for the session of the access token making this request' }),
  })
  .meta({ id: 'Session' });

const allRoles = ['user', 'viewer', 'admin'] as const;

export const authRoutes = {
  register: defineRoute({
    id: 'auth.register',
    method: 'POST',
    path: '/auth/register',
    summary: 'Create an account',
    description:
      'With `auth.signupApproval` on, the account starts `pending` and cannot sign in until an admin approves it.',
    tags: ['auth'],
    auth: 'public',
    body: z.strictObject({
      email,
      password: newPassword,
      username: username.optional(),
      referral_code: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[A-Za-z0-9_-]+$/, 'may contain letters, digits, dash and underscore')
        .optional(),
    }),
    response: z.object({ user: userSchema }),
    successStatus: 201,
    errors: ['email_taken', 'username_taken', 'service_unavailable'],
    rateLimit: 'auth',
  }),
  login: defineRoute({
    id: 'auth.login',
    method: 'POST',
    path: '/auth/login',
    summary: 'Sign in with email (or username) and password',
    description:
      'Repeated failures are throttled with 429 and `Retry-After`: five for one account from one address block that pair; ' +
      'an address failing across many accounts gets one try per account; failures at one account from many addresses make it wait ' +
      'a few seconds (not from addresses it signed in from before). 503 with `Retry-After` when too many passwords are being checked at once.',
    tags: ['auth'],
    auth: 'public',
    body: z
      .strictObject({ email: email.optional(), username: username.optional(), password: givenPassword, device_label: deviceLabel.optional() })
      .refine((b) => (b.email === undefined) !== (b.username === undefined), {
        message: 'give either email or username',
        path: ['email'],
      }),
    response: tokenPairSchema,
    errors: ['invalid_credentials', 'account_disabled', 'account_pending', 'service_unavailable'],
    rateLimit: 'auth',
  }),
  refresh: defineRoute({
    id: 'auth.refresh',
    method: 'POST',
    path: '/auth/refresh',
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'Refresh tokens rotate on every use. Presenting a token that was already exchanged revokes its whole session — ' +
      'unless it happens within the reuse window (10 s by default) from the client that rotated it (same user agent and address), where the same successor is returned again; from any other client it counts as reuse. ' +
      'In cookie mode the body may be empty: the token comes from the cookie and `X-CSRF-Token` must be sent.',
    tags: ['auth'],
    auth: 'public',
    body: z.strictObject({ refresh_token: z.string().min(1).max(512).optional() }).optional(),
    response: tokenPairSchema,
    errors: ['invalid_token', 'refresh_token_reused', 'account_disabled', 'csrf_failed'],
    // Not the sign-in budget: everyone behind one busy address must keep their sessions however
    // many others sign in there. Refresh tokens that do not verify count as failed authentications.
    rateLimit: 'default',
  }),
  logout: defineRoute({
    id: 'auth.logout',
    method: 'POST',
    path: '/auth/logout',
    summary: 'Sign out: revoke this session’s refresh tokens and the access token',
    tags: ['auth'],
    auth: 'user',
    roles: allRoles,
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
    scope: 'account:read',
    response: userSchema,
    errors: [],
  }),
  changePassword: defineRoute({
    id: 'auth.changePassword',
    method: 'POST',
    path: '/auth/change-password',
    summary: 'Change the password; every other session is signed out',
    description: 'Bumps the user’s token version: other sessions’ tokens stop working at once. This session gets fresh tokens.',
    tags: ['auth'],
    auth: 'user',
    roles: allRoles,
    body: z.strictObject({ current_password: givenPassword, new_password: newPassword }),
    response: tokenPairSchema,
    errors: ['service_unavailable'],
    rateLimit: 'auth',
  }),
  sessions: defineRoute({
    id: 'auth.sessions',
    method: 'GET',
    path: '/auth/sessions',
    summary: 'The signed-in user’s live sessions (devices)',
    tags: ['auth'],
    auth: 'user',
    response: z.object({ sessions: z.array(sessionSchema) }),
    errors: [],
  }),
  revokeSession: defineRoute({
    id: 'auth.revokeSession',
    method: 'DELETE',
    path: '/auth/sessions/{id}',
    summary: 'Sign a session out (its refresh and access tokens stop working)',
    tags: ['auth'],
    auth: 'user',
    roles: allRoles,
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    response: z.null(),
    successStatus: 204,
    errors: ['not_found'],
  }),
  oidc: defineRoute({
    id: 'auth.oidc',
    method: 'POST',
    path: '/auth/oidc',
    summary: 'Sign in (or sign up) with an OpenID Connect ID token',
    description:
      'The ID token is verified against the configured provider’s keys (`iss`, `aud`, `exp`, and `nonce` when given). ' +
      'A new identity is linked to the account with its email, or gets a new account — only if the provider verified the email (otherwise 409).',
    tags: ['auth'],
    auth: 'public',
    body: z.strictObject({
      provider: z.string().min(1).max(64).meta({ example: 'google' }),
      id_token: z.string().min(1).max(16_384),
      nonce: z.string().min(1).max(512).optional(),
      device_label: deviceLabel.optional(),
    }),
    response: tokenPairSchema,
    errors: ['invalid_token', 'account_disabled', 'account_pending', 'conflict'],
    rateLimit: 'auth',
  }),
} as const;
