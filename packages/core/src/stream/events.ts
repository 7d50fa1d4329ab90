import type { z } from 'zod';
import type { StreamHub } from './hub.js';

/**
 * A placeholder of an event's channel or type: `<symbol>` in `ticks:<symbol>`, `<status>` in
 * `order.<status>`. `values` lists every value it takes (the type then is their union); `pattern`
 * is what a client may put there when the values are open (a channel's symbol).
 */
export interface EventParam {
  readonly description?: string;
  readonly values?: readonly string[];
  /** Anchored (`^…$`): what a value must match. */
  readonly pattern?: RegExp;
}

/** Who receives an event: the user it belongs to (`user`), or anyone signed in who joined its channel (`public`). */
export type EventAudience = 'user' | 'public';

/**
 * One kind of real-time event, declared once by the module that publishes it. The hub's channel
 * list, the AsyncAPI document (`/asyncapi.json`), the client's `StreamEvents` and the contract
 * tests derive from these declarations; publishers go through `publish`, so `data` must be what
 * the declaration says.
 */
export interface EventDefinition<
  C extends string = string,
  T extends string = string,
  P extends Readonly<Record<string, EventParam>> = Readonly<Record<string, EventParam>>,
  D extends z.ZodType = z.ZodType,
  A extends EventAudience = EventAudience,
> {
  /** The channel a client joins: `balance`, or a pattern such as `ticks:<symbol>`. */
  readonly channel: C;
  /** The event type: `balance.changed`, or a pattern such as `order.<status>`. */
  readonly type: T;
  /** The placeholders of `channel` and `type`. */
  readonly params?: P;
  readonly audience: A;
  readonly summary: string;
  readonly description?: string;
  /** The `data` of the event as it travels on the wire (strings for money and dates). */
  readonly data: D;
}

/** Any declared event, as a list holds them. */
export type AnyEventDefinition = EventDefinition<string, string, Readonly<Record<string, EventParam>>, z.ZodType, EventAudience>;

/** Declares an event, keeping its literal channel, type and parameters for inference. */
export function defineEvent<
  const C extends string,
  const T extends string,
  const A extends EventAudience,
  D extends z.ZodType,
  const P extends Readonly<Record<string, EventParam>> = {},
>(definition: EventDefinition<C, T, P, D, A>): EventDefinition<C, T, P, D, A> {
  return definition;
}

/** `order.<status>` with `status: ['filled', …]` → `'order.filled' | …`; an open placeholder → any string. */
type Fill<S extends string, P> = S extends `${infer Head}<${infer Name}>${infer Tail}`
  ? `${Head}${Name extends keyof P ? (P[Name] extends { readonly values: readonly (infer V extends string)[] } ? V : string) : string}${Fill<Tail, P>}`
  : S;

/** The concrete event types of a definition (`order.pending | order.filled | …`). */
export type EventTypeOf<E extends AnyEventDefinition> = E extends EventDefinition<string, infer T, infer P> ? Fill<T, P> : never;
/** The concrete channels of a definition (`balance`, `ticks:${string}`). */
export type EventChannelOf<E extends AnyEventDefinition> = E extends EventDefinition<infer C, string, infer P> ? Fill<C, P> : never;
/** What a definition's `data` is on the wire. */
export type EventDataOf<E extends AnyEventDefinition> = z.output<E['data']>;

/** Every value of a string union, written as a record so that a value added to or dropped from `T` fails to compile here. */
export const everyValue = <T extends string>(all: Record<T, true>) => Object.keys(all) as [T, ...T[]];

const hasParam = (s: string) => /<[^>]+>/.test(s);

/**
 * What a publisher says of one event. `type` and `channel` are given only when the declaration's
 * are patterns (`order.<status>`, `ticks:<symbol>`); `userId` is null on public channels.
 */
export type EventMessage<E extends AnyEventDefinition> = {
  readonly userId: E['audience'] extends 'public' ? null : string;
  readonly data: EventDataOf<E>;
} & (E['type'] extends `${string}<${string}>${string}` ? { readonly type: EventTypeOf<E> } : { readonly type?: undefined }) &
  (E['channel'] extends `${string}<${string}>${string}` ? { readonly channel: EventChannelOf<E> } : { readonly channel?: undefined });

/** Publishes one event of `definition` on `hub` (after its transaction commits: the caller's job). */
export function publish<E extends AnyEventDefinition>(hub: StreamHub, definition: E, message: EventMessage<E>): void {
  const channel = message.channel ?? definition.channel;
  const type = message.type ?? definition.type;
  // A pattern left unfilled would reach clients as a channel or type nobody can join or expect.
  if (hasParam(channel) || hasParam(type)) throw new TypeError(`Event ${definition.type} on ${definition.channel}: give the concrete channel and type`);
  hub.publish({ channel, type, userId: message.userId, data: message.data });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regular expression matching the concrete values of a pattern (`order.<status>` → `^order\.(pending|…)$`). */
export function patternRegExp(pattern: string, params: Readonly<Record<string, EventParam>> = {}): RegExp {
  let source = '';
  let rest = pattern;
  for (let m = /<([^>]+)>/.exec(rest); m; m = /<([^>]+)>/.exec(rest)) {
    const param = params[m[1]!];
    const inner = param?.values ? param.values.map(escape).join('|') : param?.pattern ? param.pattern.source.replace(/^\^/, '').replace(/\$$/, '') : '[^:]+';
    source += `${escape(rest.slice(0, m.index))}(?:${inner})`;
    rest = rest.slice(m.index + m[0].length);
  }
  return new RegExp(`^${source}${escape(rest)}$`);
}

/** Every concrete type of a definition whose placeholders all list their values (`order.<status>` → four types). */
export function eventTypes(definition: AnyEventDefinition): string[] {
  let types = [''];
  let rest = definition.type;
  for (let m = /<([^>]+)>/.exec(rest); m; m = /<([^>]+)>/.exec(rest)) {
    const values = definition.params?.[m[1]!]?.values;
    if (!values) throw new TypeError(`Event type ${definition.type}: <${m[1]}> lists no values`);
    const head = rest.slice(0, m.index);
    types = types.flatMap((t) => values.map((v) => `${t}${head}${v}`));
    rest = rest.slice(m.index + m[0].length);
  }
  return types.map((t) => t + rest);
}

/** The declaration an event was published under, if any: matched by channel and type. */
export function findEventDefinition(events: readonly AnyEventDefinition[], event: { channel: string; type: string }): AnyEventDefinition | undefined {
  return events.find((d) => patternRegExp(d.channel, d.params).test(event.channel) && eventTypes(d).includes(event.type));
}

/**
 * The channels a client may join, from the declarations: the literal channels of user events
 * (`balance`, `orders`, …) and the patterns of public ones (`ticks:<symbol>`).
 */
export function streamChannels(events: readonly AnyEventDefinition[]): { channels: string[]; privateChannels: string[]; isChannel(channel: string): boolean } {
  const channels = [...new Set(events.map((e) => e.channel))];
  const privateChannels = [...new Set(events.filter((e) => e.audience === 'user').map((e) => e.channel))];
  const patterns = events.map((e) => patternRegExp(e.channel, e.params));
  return { channels, privateChannels, isChannel: (channel) => patterns.some((p) => p.test(channel)) };
}
