import { z } from 'zod';
import { errorCatalog, type ErrorCode } from '../errors.js';
import { listRoutes, routeErrors, type Contract, type RouteDefinition } from '../contract/route.js';
import { IDEMPOTENCY_KEY, problemSchema } from '../contract/common.js';
import { tagDescriptions } from '../contract/tags.js';

export interface OpenApiOptions {
  title?: string;
  version: string;
  description?: string;
  /** The server URL the routes are mounted under, e.g. `/api/v1`. */
  basePath?: string;
  /** What a tag's routes are for, shown above them (default: the contract's `tagDescriptions`). */
  tagDescriptions?: Readonly<Record<string, string>>;
}

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { openapi: '3.1.0'; paths: Record<string, Record<string, unknown>> };

const securityByAuth: Record<RouteDefinition['auth'], Record<string, string[]>[]> = {
  public: [],
  user: [{ bearerAuth: [] }],
  admin: [{ bearerAuth: [] }],
  license: [{ licenseAuth: [] }],
};

/**
 * Generates the OpenAPI 3.1 document from the contract with zod 4's JSON Schema output.
 * Schemas that carry `.meta({ id })` become shared `components.schemas` entries.
 * Each operation lists its error responses by status with the stable codes in `x-error-codes`,
 * so the generated client can type errors per operation.
 */
export function createOpenApiDocument(contract: Contract, options: OpenApiOptions): OpenApiDocument {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
    return hoist(json, components, io);
  };
  convert(problemSchema, 'output'); // registers components.schemas.Problem

  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const route of listRoutes(contract)) {
    route.tags.forEach((t) => tags.add(t));
    const parameters: Record<string, unknown>[] = [];
    for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
      if (!schema) continue;
      const json = convert(schema, 'input');
      const required = new Set((json.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries((json.properties as Record<string, JsonSchema>) ?? {})) {
        parameters.push({
          name,
          in: location,
          required: location === 'path' || required.has(name),
          schema: property,
          ...(typeof property.description === 'string' ? { description: property.description } : {}),
        });
      }
    }

    if (route.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description:
          'Unique per money operation (a UUID). A retry with the same key and body returns the first outcome with `Idempotency-Replayed: true`; the same key with another body is 409 `idempotency_conflict`.',
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY.source },
      });
    }

    for (const name of route.rawBody?.headers ?? []) {
      parameters.push({ name, in: 'header', required: true, description: 'Part of the sender’s signature over the raw body.', schema: { type: 'string', minLength: 1 } });
    }

    const success = route.successStatus ?? 200;
    const responses: Record<string, unknown> = {
      [success]:
        success === 204
          ? { description: 'No content' }
          : { description: 'Success', content: { [route.responseType ?? 'application/json']: { schema: convert(route.response, 'output') } } },
    };
    for (const [status, other] of Object.entries(route.otherResponses ?? {})) {
      responses[status] = { description: other.description, content: { 'application/json': { schema: convert(other.schema, 'output') } } };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of routeErrors(route)) {
      const status = errorCatalog[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[status] = {
        description: codes.map((c) => errorCatalog[c].title).join('; '),
        'x-error-codes': codes,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }

    const operation: Record<string, unknown> = {
      operationId: route.id,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [...route.tags],
      // A scoped route takes either credential; the scope is listed as the key's requirement.
      security: route.scope ? [...securityByAuth[route.auth], { apiKeyAuth: [route.scope] }] : securityByAuth[route.auth],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: convert(route.body, 'input') } } } }
        : {}),
      ...(route.rawBody ? { requestBody: rawRequestBody(route.rawBody.schema && convert(route.rawBody.schema, 'input')) } : {}),
      responses,
      'x-auth': route.auth,
      ...(route.scope ? { 'x-api-key-scope': route.scope } : {}),
      ...(route.idempotent ? { 'x-idempotent': true } : {}),
      ...(route.rawBody ? { 'x-raw-body': true } : {}),
      ...(route.rateLimit ? { 'x-rate-limit-group': route.rateLimit } : {}),
    };
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method.toLowerCase()]: operation };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'tradeplane API',
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    servers: [{ url: options.basePath || '/' }],
    tags: [...tags].map((name) => {
      const description = (options.tagDescriptions ?? tagDescriptions)[name];
      return description ? { name, description } : { name };
    }),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        licenseAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`License <token>`' },
      },
    },
  };
}

/**
 * A raw-body route's request body: JSON by its media type, but read as bytes and signed as sent,
 * so its schema (open unless the route gives one) only documents it and nothing validates it.
 */
function rawRequestBody(schema: JsonSchema | undefined): Record<string, unknown> {
  return {
    required: true,
    description: 'Signed by the sender: read as the exact bytes received, never parsed or re-serialised before the signature is checked. The schema documents the payload; it is not validated.',
    content: { 'application/json': { schema: schema ?? {} } },
  };
}

function stripRoot(json: JsonSchema): JsonSchema {
  const { $schema: _s, $defs: _d, id: _id, ...rest } = json;
  return rest;
}

/**
 * Moves zod's `$defs` into `components.schemas` and rewrites their `$ref`s. A schema with an id
 * that differs between input and output (rare: defaults, transforms) keeps both, suffixed.
 */
function hoist(json: JsonSchema, components: Record<string, JsonSchema>, io: 'input' | 'output'): JsonSchema {
  const defs = (json.$defs as Record<string, JsonSchema> | undefined) ?? {};
  const rename = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    const body = stripRoot(def);
    const existing = components[name];
    if (!existing || JSON.stringify(existing) === JSON.stringify(rewrite(body, rename))) {
      rename.set(name, name);
    } else {
      rename.set(name, `${name}${io === 'input' ? 'Input' : 'Output'}`);
    }
  }
  for (const [name, def] of Object.entries(defs)) components[rename.get(name)!] = rewrite(stripRoot(def), rename) as JsonSchema;
  return rewrite(stripRoot(json), rename) as JsonSchema;
}

function rewrite(value: unknown, rename: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, rename));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const name = v.slice('#/$defs/'.length);
        out[key] = `#/components/schemas/${rename.get(name) ?? name}`;
      } else {
        out[key] = rewrite(v, rename);
      }
    }
    return out;
  }
  return value;
}
