import { describe, expect, it } from 'vitest';
import { contract } from '../contract/index.js';
import { builtinModules } from './builtin.js';
import { moduleNames, resolveModules } from './resolve.js';

describe('the module list', () => {
  it('serves every contract group (but system) from exactly one module', () => {
    const owners = new Map<string, string[]>();
    for (const m of builtinModules) for (const group of m.routes) owners.set(group, [...(owners.get(group) ?? []), m.name]);
    for (const group of Object.keys(contract)) {
      if (group === 'system') expect(owners.has(group)).toBe(false);
      else expect([group, owners.get(group)]).toEqual([group, [expect.any(String)]]);
    }
  });

  it('builds each module after the modules it uses, and requires only known modules', () => {
    const seen = new Set<string>();
    for (const m of builtinModules) {
      for (const used of m.uses) expect(seen.has(used.name), `${m.name} uses ${used.name}`).toBe(true);
      for (const needed of m.requires) expect(moduleNames).toContain(needed);
      seen.add(m.name);
    }
    expect(new Set(moduleNames).size).toBe(builtinModules.length);
  });

  it('resolves a choice into modules and contract groups, naming what is wrong', () => {
    const { modules, groups } = resolveModules(['auth', 'wallets']);
    expect([...modules]).toEqual(['auth', 'wallets']);
    expect([...groups].sort()).toEqual(['accounts', 'admin', 'apiKeys', 'auth', 'billing', 'funding', 'ledger', 'system', 'wallet', 'withdrawals']);
    expect(resolveModules(undefined).modules.size).toBe(builtinModules.length);
    expect(() => resolveModules(['auth', 'billing'])).toThrow("unknown module 'billing'");
    expect(() => resolveModules(['affiliates'])).toThrow("Invalid modules: module 'affiliates' needs 'auth'; module 'affiliates' needs 'wallets'");
  });
});
