import { affiliatesModule } from '../affiliates/module.js';
import { authModule } from '../auth/module.js';
import { copyModule } from '../copy/module.js';
import { marketModule } from '../market/module.js';
import { notificationsModule } from '../notifications/module.js';
import { paymentsModule } from '../payments/module.js';
import { plansModule } from '../plans/module.js';
import { tradingModule } from '../trading/module.js';
import { walletsModule } from '../wallets/module.js';

/**
 * tradeplane's modules, in the order they are built: a module comes after the modules it uses.
 * Adding a module is one folder with a `module.ts` and one line here.
 */
export const builtinModules = [authModule, notificationsModule, walletsModule, affiliatesModule, paymentsModule, plansModule, marketModule, tradingModule, copyModule] as const;

export type BuiltinModules = typeof builtinModules;
