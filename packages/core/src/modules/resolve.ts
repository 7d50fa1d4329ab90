import type { AnyModule } from './define.js';
import { type BuiltinModules, builtinModules } from './builtin.js';

/** The name of a built-in module (an `ENABLED_MODULES`-style list entry). */
export type ModuleName = BuiltinModules[number]['name'];

/**
 * The parts of tradeplane an engine may serve. A served module mounts its routes and runs its
 * background jobs; every table exists whatever the modules, so turning one on later needs no migration.
 */
export const moduleNames = builtinModules.map((m) => m.name) as readonly ModuleName[] as readonly [ModuleName, ...ModuleName[]];

/**
 * Checks a module list (unknown names, missing requirements) against `all` and returns the chosen
 * modules and the contract groups they serve (`system` is always served). Without a list, all are served.
 */
export function resolveModules(chosenNames: readonly string[] | undefined, all: readonly AnyModule[] = builtinModules): { modules: Set<string>; groups: Set<string> } {
  const known = new Map(all.map((m) => [m.name, m]));
  const chosen = new Set<string>(chosenNames === undefined ? known.keys() : []);
  const problems: string[] = [];
  for (const name of chosenNames ?? []) {
    if (known.has(name)) chosen.add(name);
    else problems.push(`unknown module '${name}' (known: ${[...known.keys()].join(', ')})`);
  }
  for (const name of chosen) {
    for (const needed of known.get(name)?.requires ?? []) if (!chosen.has(needed)) problems.push(`module '${name}' needs '${needed}'`);
  }
  if (problems.length > 0) throw new TypeError(`Invalid modules: ${problems.join('; ')}`);
  const groups = new Set<string>(['system']);
  for (const name of chosen) for (const group of known.get(name)?.routes ?? []) groups.add(group);
  return { modules: chosen, groups };
}
