import { describe, expectTypeOf, it } from 'vitest';
import type { authRoutes } from '../contract/auth.js';
import type { licenseRoutes } from '../contract/copy.js';
import type { LicensePrincipal } from '../ports/principals.js';
import type { systemRoutes } from '../contract/system.js';
import type { Principal } from '../auth/service.js';
import type { HandlerInput, HandlerOutput } from './types.js';

// Type tests: `pnpm typecheck` fails if handler typing stops following the contract.
describe('handler types follow the contract', () => {
  it('infers the body from the zod schema', () => {
    expectTypeOf<HandlerInput<typeof authRoutes.register>['body']>().toEqualTypeOf<{
      email: string;
      password: string;
      username?: string | undefined;
      referral_code?: string | undefined;
    }>();
    expectTypeOf<HandlerInput<typeof authRoutes.refresh>['body']>().toEqualTypeOf<{ refresh_token?: string | undefined } | undefined>();
    expectTypeOf<HandlerInput<typeof authRoutes.revokeSession>['params']>().toEqualTypeOf<{ id: string }>();
    // Only a `rawBody` route gets the body as text (see dispatcher.test.ts).
    expectTypeOf<HandlerInput<typeof authRoutes.register>['rawBody']>().toEqualTypeOf<undefined>();
  });

  it('gives authenticated routes a principal and public routes none', () => {
    expectTypeOf<HandlerInput<typeof authRoutes.me>['principal']>().toEqualTypeOf<Principal>();
    expectTypeOf<HandlerInput<typeof authRoutes.login>['principal']>().toEqualTypeOf<undefined>();
    expectTypeOf<HandlerInput<typeof licenseRoutes.verify>['principal']>().toEqualTypeOf<LicensePrincipal>();
  });

  it('types the wire response', () => {
    expectTypeOf<HandlerOutput<typeof authRoutes.logout>>().toEqualTypeOf<null>();
    expectTypeOf<HandlerOutput<typeof systemRoutes.health>['status']>().toEqualTypeOf<'ok' | 'degraded' | 'down'>();
    expectTypeOf<HandlerOutput<typeof authRoutes.login>['token_type']>().toEqualTypeOf<'Bearer'>();
  });
});
