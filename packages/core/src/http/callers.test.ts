import { describe, expectTypeOf, it } from 'vitest';
import type { Principal, SessionPrincipal } from '../auth/service.js';
import type { ApiKeyPrincipal } from '../auth/api-keys.js';
import type { LicensePrincipal } from '../copy/service.js';
import type { licenseRoutes } from '../contract/copy.js';
import type { ApiKeyCaller, Caller, HandlerInput, LicenseCaller, SessionCaller, UserCaller } from './types.js';

// Type tests: the HTTP layer declares the callers it hands to handlers without importing the
// auth and copy modules; `pnpm typecheck` fails if the two declarations drift apart.
describe('the callers the dispatcher hands to handlers', () => {
  it('are the auth and copy modules’ principals', () => {
    expectTypeOf<SessionCaller>().toEqualTypeOf<SessionPrincipal>();
    expectTypeOf<ApiKeyCaller>().toEqualTypeOf<ApiKeyPrincipal>();
    expectTypeOf<UserCaller>().toEqualTypeOf<Principal>();
    expectTypeOf<LicenseCaller>().toEqualTypeOf<LicensePrincipal>();
    expectTypeOf<Caller>().toEqualTypeOf<Principal | LicensePrincipal>();
  });

  it('gives license routes the license principal', () => {
    expectTypeOf<HandlerInput<typeof licenseRoutes.verify>['principal']>().toEqualTypeOf<LicensePrincipal>();
  });
});
