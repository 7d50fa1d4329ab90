import type { RouteDefinition } from '../contract/route.js';

export type RouteMatch =
  | { kind: 'found'; route: RouteDefinition; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

interface CompiledRoute {
  route: RouteDefinition;
  /** Literal segment, or `{ param }` for a `{name}` segment. */
  segments: (string | { param: string })[];
}

/**
 * Matches `(method, path)` against the contract. Static paths are a map lookup; paths with
 * parameters are compared segment by segment among routes of the same length. A static
 * segment wins over a parameter at the same position (`/trades/open` before `/trades/{id}`).
 */
export function createRouter(routes: readonly RouteDefinition[]) {
  const byPath = new Map<string, Map<string, RouteDefinition>>();
  const dynamicByLength = new Map<number, CompiledRoute[]>();
  for (const route of routes) {
    assertParamsDeclared(route);
    const segments = split(route.path).map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : s));
    if (segments.every((s) => typeof s === 'string')) {
      const methods = byPath.get(route.path) ?? new Map<string, RouteDefinition>();
      if (methods.has(route.method)) throw new Error(`Duplicate route ${route.method} ${route.path}`);
      methods.set(route.method, route);
      byPath.set(route.path, methods);
    } else {
      const list = dynamicByLength.get(segments.length) ?? [];
      list.push({ route, segments });
      // More literal segments first, so static segments win.
      list.sort((a, b) => literalCount(b) - literalCount(a));
      dynamicByLength.set(segments.length, list);
    }
  }

  return {
    match(method: string, rawPath: string): RouteMatch {
      const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
      const statics = byPath.get(path);
      if (statics) {
        const route = statics.get(method);
        return route ? { kind: 'found', route, params: {} } : { kind: 'method_not_allowed', allowed: [...statics.keys()] };
      }
      const parts = split(path);
      const allowed: string[] = [];
      for (const candidate of dynamicByLength.get(parts.length) ?? []) {
        const params = matchSegments(candidate.segments, parts);
        if (!params) continue;
        if (candidate.route.method === method) return { kind: 'found', route: candidate.route, params };
        allowed.push(candidate.route.method);
      }
      return allowed.length > 0 ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' };
    },
  };
}

/** A `{name}` in the path must be a key of the route's `params` schema, and vice versa. */
function assertParamsDeclared(route: RouteDefinition): void {
  const inPath = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort();
  const declared = Object.keys(route.params?.shape ?? {}).sort();
  if (inPath.join(',') !== declared.join(',')) {
    throw new Error(`Route ${route.id}: path parameters [${inPath.join(', ')}] do not match its params schema [${declared.join(', ')}]`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function literalCount(r: CompiledRoute): number {
  return r.segments.filter((s) => typeof s === 'string').length;
}

function matchSegments(segments: CompiledRoute['segments'], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if (typeof segment === 'string') {
      if (segment !== part) return undefined;
    } else {
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        return undefined; // malformed percent-encoding cannot name a resource
      }
    }
  }
  return params;
}
