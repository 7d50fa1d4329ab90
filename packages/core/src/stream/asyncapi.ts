import { z } from 'zod';
import { timestamp } from '../contract/common.js';
import { type AnyEventDefinition, eventTypes, patternRegExp } from './events.js';

export interface AsyncApiOptions {
  title?: string;
  version: string;
  /** Where the HTTP routes are mounted (`/api/v1`): the stream is served at `<basePath>/stream`. */
  basePath?: string;
}

type JsonSchema = Record<string, unknown>;
export type AsyncApiDocument = Record<string, unknown> & {
  asyncapi: '3.0.0';
  channels: Record<string, JsonSchema>;
  operations: Record<string, JsonSchema>;
  components: { schemas: Record<string, JsonSchema>; messages: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
};

const PROTOCOL = [
  'The real-time stream is one WebSocket per client, with JSON text frames.',
  'Connect with `Authorization: Bearer <access token>` on the upgrade request or, in browsers, `?ticket=<ticket>` from `POST /stream/ticket` (valid 30 s, one socket, once).',
  'Join channels with `{"type":"subscribe","channels":[…],"last_event_id"?:"…"}` (or `?channel=…&last_event_id=…` in the URL) and get `{"type":"subscribed","channels":[…],"resumed":n}`;',
  '`resumed: null` means the id is older than the resume window (5 minutes): reload through the HTTP API.',
  'Leave with `{"type":"unsubscribe","channels":[…]}`; `{"type":"ping"}` answers `{"type":"pong"}`; a bad message gets `{"type":"error","code","detail"}`.',
  'Each event arrives as `{"type":"event","id","channel","event","data","at"}` once its transaction commits, `data` in the same shape as the HTTP API answers;',
  'private channels carry only your own events, `ticks:<SYMBOL>` anyone signed in may join.',
  'Close codes: 4401 session revoked, 4029 too many connections, 4008 too slow, 4000 no pong.',
].join(' ');

/** `order.<status>` → `order.status`: a key AsyncAPI accepts for a channel, message or operation. */
const keyOf = (pattern: string) =>
  pattern
    .replace(/<([^>]+)>/g, '$1')
    .replace(/[^A-Za-z0-9._-]+/g, '.')
    .replace(/^\.+|\.+$/g, '');
/** `ticks:<symbol>` → `ticks:{symbol}`, AsyncAPI's channel-parameter syntax. */
const addressOf = (pattern: string) => pattern.replace(/<([^>]+)>/g, '{$1}');

/** The frame a client receives for one event of `definition`, with the declared `data`. */
function frameSchema(definition: AnyEventDefinition): z.ZodType {
  const types = eventTypes(definition);
  const channel = /<[^>]+>/.test(definition.channel) ? z.string().regex(patternRegExp(definition.channel, definition.params)) : z.literal(definition.channel);
  return z.object({
    type: z.literal('event'),
    id: z.string().meta({ description: 'Time-ordered (UUIDv7): send the last one you saw as `last_event_id` to resume' }),
    channel,
    event: types.length === 1 ? z.literal(types[0]!) : z.enum(types as [string, ...string[]]),
    data: definition.data,
    at: timestamp.meta({ description: 'When the event was published' }),
  });
}

/**
 * Generates the AsyncAPI 3.0 document of the real-time stream from the modules' event
 * declarations: a channel per stream channel, a `receive` operation and a message per declared
 * event, payloads from zod 4's JSON Schema output (draft-07, AsyncAPI's schema dialect). Schemas
 * with `.meta({ id })` — the same `Order`, `Trade`, … as the OpenAPI document — become shared
 * `components.schemas` entries.
 */
export function createAsyncApiDocument(events: readonly AnyEventDefinition[], options: AsyncApiOptions): AsyncApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  const messages: Record<string, JsonSchema> = {};
  const channels: Record<string, JsonSchema & { messages: Record<string, JsonSchema> }> = {};
  const operations: Record<string, JsonSchema> = {};

  for (const definition of events) {
    const channelKey = keyOf(definition.channel);
    const messageKey = keyOf(definition.type);
    if (messages[messageKey]) throw new TypeError(`Event ${definition.type} is declared twice`);
    const types = eventTypes(definition);
    messages[messageKey] = {
      name: definition.type,
      title: types.join(', '),
      summary: definition.summary,
      ...(definition.description ? { description: definition.description } : {}),
      contentType: 'application/json',
      payload: convert(frameSchema(definition), schemas),
      'x-audience': definition.audience,
    };
    const channel = (channels[channelKey] ??= {
      address: addressOf(definition.channel),
      description: definition.audience === 'user' ? 'Your own events only' : 'Public: anyone signed in may join',
      messages: {},
      ...parametersOf(definition),
    });
    channel.messages[messageKey] = { $ref: `#/components/messages/${messageKey}` };
    operations[`receive.${messageKey}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channelKey}` },
      summary: definition.summary,
      messages: [{ $ref: `#/channels/${channelKey}/messages/${messageKey}` }],
    };
  }

  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  return {
    asyncapi: '3.0.0',
    info: { title: options.title ?? 'tradeplane stream', version: options.version, description: PROTOCOL },
    defaultContentType: 'application/json',
    servers: {
      stream: {
        host: '{host}',
        protocol: 'wss',
        pathname: `${basePath}/stream`,
        description: 'The WebSocket endpoint (`ws://` without TLS), served beside the HTTP API by `attachStream`.',
        variables: { host: { default: 'localhost', description: 'The host (and port) serving the HTTP API' } },
        security: [{ $ref: '#/components/securitySchemes/bearerAuth' }, { $ref: '#/components/securitySchemes/streamTicket' }],
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token in the upgrade request’s `Authorization` header' },
        streamTicket: { type: 'httpApiKey', name: 'ticket', in: 'query', description: 'A single-use ticket from `POST /stream/ticket`, for browsers (which cannot set headers on a WebSocket)' },
      },
    },
  };
}

function parametersOf(definition: AnyEventDefinition): JsonSchema {
  const names = [...definition.channel.matchAll(/<([^>]+)>/g)].map((m) => m[1]!);
  if (names.length === 0) return {};
  const parameters: Record<string, JsonSchema> = {};
  for (const name of names) {
    const param = definition.params?.[name];
    const description = [param?.description, param?.pattern ? `Matches \`${param.pattern.source}\`` : undefined].filter(Boolean).join('. ');
    parameters[name] = { ...(description ? { description } : {}), ...(param?.values ? { enum: [...param.values] } : {}) };
  }
  return { parameters };
}

/** zod → draft-07 JSON Schema, its `definitions` moved to `components.schemas` (one entry per id, which must agree). */
function convert(schema: z.ZodType, schemas: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as JsonSchema;
  const { $schema: _s, definitions, ...root } = json as JsonSchema & { definitions?: Record<string, JsonSchema> };
  for (const [name, def] of Object.entries(definitions ?? {})) {
    const body = rewrite(def) as JsonSchema;
    if (schemas[name] && JSON.stringify(schemas[name]) !== JSON.stringify(body)) throw new TypeError(`Schema ${name} differs between events`);
    schemas[name] = body;
  }
  return rewrite(root) as JsonSchema;
}

function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, key === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/') ? `#/components/schemas/${v.slice('#/definitions/'.length)}` : rewrite(v)]),
    );
  }
  return value;
}
