/**
 * A local fake of the Stripe API for tests: the official `stripe` SDK talks to it over HTTP
 * (`host`/`port`/`protocol` config), so payments code is exercised through the same client, the
 * same form encoding, the same error classes and the same retry and idempotency behaviour as in
 * production, and no test ever reaches the internet.
 *
 * What it covers:
 * - `POST /v1/payment_intents`, `GET /v1/payment_intents/:id`, `POST /v1/payment_intents/:id/cancel`,
 *   `POST /v1/refunds`, `GET /v1/charges/:id`, `POST /v1/transfers`, `GET /v1/transfers/:id`,
 *   `POST /v1/customers`, `GET /v1/customers/:id`, `GET /v1/events/:id`, `GET /v1/disputes/:id`;
 *   for Billing `POST /v1/prices`, `GET /v1/prices/:id`, `POST /v1/checkout/sessions` (subscription
 *   mode), `GET /v1/checkout/sessions/:id`, `GET /v1/subscriptions/:id`, `POST /v1/subscriptions/:id`
 *   (`cancel_at_period_end`, `metadata`); anything else is the 404 Stripe answers for an unrecognized URL.
 * - Bearer secret-key auth, Stripe-shaped errors (`{ error: { type, code, param, message } }`)
 *   with Stripe's status codes (400, 401, 402 card errors, 404), unknown parameters rejected.
 * - `Idempotency-Key`: the same key with the same parameters replays the first response
 *   (`Idempotent-Replayed: true`), with other parameters or on another endpoint it is a 400
 *   `idempotency_error`. Responses that failed validation are not stored, as on Stripe.
 * - Card payments that succeed, decline (`pm_card_chargeDeclined`, `pm_card_chargeDeclinedInsufficientFunds`
 *   on confirm) or stay processing; full and partial refunds; disputes opened, updated and closed
 *   (with the funds withdrawn and reinstated events); a Checkout Session completed into a customer
 *   and an active subscription, a failed renewal (`past_due`), the period ending (renewed, or
 *   deleted when it was set to cancel or is unpaid); Connect transfers, with an optional available balance to exhaust. Every state change records
 *   the Event Stripe would send (`evt_…`, `api_version`, `data.object`, `previous_attributes`).
 * - Fault injection per path: a slow response (client timeouts) and a dropped connection, before
 *   or after the request took effect (retries, and the idempotent replay that makes them safe;
 *   a late answer also lets a webhook about the new object arrive before its creator hears back).
 * - `signedWebhook`: an event body and a `Stripe-Signature` header made by the SDK's own
 *   `generateTestHeaderString`, for the webhook endpoint's tests.
 *
 * What it does not: other resources (invoices, products, payouts, balance transactions), listing
 * and search, `expand` (accepted, ignored: expandable fields stay ids), manual capture, 3-D Secure
 * and other `next_action`s, multi-currency settlement, Connect account headers, delivering
 * webhooks by itself (tests take the events and post them where they want), rate limits.
 * Object shapes follow the schemas in stripe-openapi.json (its `x-source` names the spec's commit
 * and API version), which the test checks every response and event against, plus the fields the
 * SDK's newer types add (`allowed_payment_method_types`, `excluded_payment_method_types`).
 * Subscriptions are rendered as the SDK's API version has them since 2025-03-31: the period
 * (`current_period_start` / `current_period_end`) is on each item, not on the subscription.
 * Checkout Sessions are not in the recorded schemas; their shape follows the SDK's types.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

type StripeConfig = NonNullable<ConstructorParameters<typeof Stripe>[1]>;
type Params = Record<string, any>;
type Json = Record<string, any>;

export interface StripeFakeOptions {
  /** The secret key the fake accepts; `client()` uses it. */
  apiKey?: string;
  /** `api_version` of the events, when a request does not name one with `Stripe-Version`. */
  apiVersion?: string;
  /** Seconds since the epoch for `created` fields: a test can hold the clock still. */
  now?: () => number;
}

export interface FaultOptions {
  /** Only requests with this method (any by default). */
  method?: string;
  /** How many matching requests the fault applies to; 1 by default. */
  times?: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  status: number;
}

export interface StripeFakeState {
  customers: Map<string, Stripe.Customer>;
  paymentIntents: Map<string, Stripe.PaymentIntent>;
  charges: Map<string, Stripe.Charge>;
  refunds: Map<string, Stripe.Refund>;
  disputes: Map<string, Stripe.Dispute>;
  transfers: Map<string, Stripe.Transfer>;
  prices: Map<string, Stripe.Price>;
  checkoutSessions: Map<string, Stripe.Checkout.Session>;
  subscriptions: Map<string, Stripe.Subscription>;
  /** Every event, oldest first. */
  events: Stripe.Event[];
  /** Every request that reached the fake, oldest first. */
  requests: FakeRequest[];
  /** Available balance by currency for transfers; a currency absent here has no limit. */
  balance: Map<string, number>;
}

export interface StripeFake {
  url: string;
  host: string;
  port: number;
  protocol: 'http';
  apiKey: string;
  /** A real SDK instance pointed at the fake; `config` overrides (timeout, maxNetworkRetries…). */
  client(config?: StripeConfig): Stripe;
  state: StripeFakeState;
  /** The events recorded since the last call (all of them on the first), for webhook delivery. */
  takeEvents(): Stripe.Event[];
  /** The customer pays: a succeeded charge; `payment_intent.succeeded`. */
  succeedPaymentIntent(id: string, options?: { paymentMethod?: string }): Stripe.Event;
  /** The card is declined: a failed charge, `last_payment_error`; `payment_intent.payment_failed`. */
  failPaymentIntent(id: string, options?: { declineCode?: string; paymentMethod?: string }): Stripe.Event;
  /** An asynchronous payment method is on its way; `payment_intent.processing`. */
  processPaymentIntent(id: string): Stripe.Event;
  /** A refund made from the Dashboard or by Stripe, of a PaymentIntent or a charge; `charge.refunded`. */
  refund(paymentIntentOrCharge: string, options?: { amount?: number; reason?: Stripe.RefundCreateParams.Reason }): Stripe.Event;
  /** The cardholder disputes the charge; `charge.dispute.created`. */
  openDispute(paymentIntentOrCharge: string, options?: { amount?: number; reason?: string }): Stripe.Event;
  /** The dispute moves on (evidence submitted: `under_review`); `charge.dispute.updated`. */
  updateDispute(id: string, status: 'under_review' | 'warning_under_review' | 'needs_response'): Stripe.Event;
  /** The dispute is decided; `charge.dispute.closed` (and `charge.dispute.funds_reinstated` when won). */
  closeDispute(id: string, outcome: 'won' | 'lost'): Stripe.Event;
  /**
   * The customer pays on the Checkout page: a customer (unless the session named one), an active
   * subscription on the session's price, the session `complete`; `customer.subscription.created`
   * is answered (`customer.created` and `checkout.session.completed` are recorded too).
   */
  completeCheckout(sessionId: string): Stripe.Event;
  /** The renewal's payment fails: a new period starts unpaid, `past_due`; `customer.subscription.updated`. */
  failRenewal(subscriptionId: string): Stripe.Event;
  /**
   * The current period ends: a subscription set to cancel at period end, or `past_due`/`unpaid`,
   * is canceled (`customer.subscription.deleted`); any other renews for a period
   * (`customer.subscription.updated`).
   */
  endPeriod(subscriptionId: string): Stripe.Event;
  faults: {
    /**
     * Answer matching requests only after `ms` milliseconds: before the request takes effect (a
     * slow Stripe), or after (the object exists at Stripe while its creator still waits).
     */
    delay(path: string | RegExp, ms: number, options?: FaultOptions & { when?: 'before' | 'after' }): void;
    /** Close the connection without an answer, before the request takes effect or after. */
    drop(path: string | RegExp, options?: FaultOptions & { when?: 'before' | 'after' }): void;
  };
  close(): Promise<void>;
}

/** A webhook delivery as Stripe makes it: the raw body and its `Stripe-Signature` header. */
export function signedWebhook(
  event: Stripe.Event | Json,
  secret: string,
  options: { timestamp?: number } = {},
): { body: string; headers: { 'content-type': string; 'stripe-signature': string } } {
  const body = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature } };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function random62(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}
const newId = (prefix: string) => `${prefix}_${random62(24)}`;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
    /** Stored under the idempotency key: the request took effect (a declined card) before failing. */
    readonly tookEffect = false,
  ) {
    super(body.message);
  }
}

const invalid = (message: string, extra: Json = {}) => new ApiError(400, { type: 'invalid_request_error', message, ...extra });
const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;
const missing = (kind: string, id: string, param: string) =>
  new ApiError(404, { type: 'invalid_request_error', code: 'resource_missing', doc_url: docUrl('resource_missing'), message: `No such ${kind}: '${id}'`, param });

/** Decodes the SDK's form encoding (`metadata[k]=v`, `payment_method_types[0]=card`) into nested values. */
function decodeForm(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) throw invalid(`Invalid parameter name: ${key}`);
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    let node = root;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] = typeof node[part] === 'object' ? node[part] : {};
    }
  }
  const arrays = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value).map(([k, v]) => [k, arrays(v)] as const);
    if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
      return entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
    }
    return Object.fromEntries(entries);
  };
  return arrays(root) as Params;
}

function only(params: Params, allowed: readonly string[]): void {
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) {
      throw invalid(`Received unknown parameter: ${name}`, { code: 'parameter_unknown', doc_url: docUrl('parameter_unknown'), param: name });
    }
  }
}

function integer(params: Params, name: string, required: true): number;
function integer(params: Params, name: string, required?: false): number | undefined;
function integer(params: Params, name: string, required = false): number | undefined {
  const raw = params[name];
  if (raw === undefined) {
    if (required) throw invalid(`Missing required param: ${name}.`, { code: 'parameter_missing', doc_url: docUrl('parameter_missing'), param: name });
    return undefined;
  }
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
    throw invalid(`Invalid integer: ${typeof raw === 'string' ? raw : 'object'}`, { code: 'parameter_invalid_integer', doc_url: docUrl('parameter_invalid_integer'), param: name });
  }
  return Number(raw);
}

function string(params: Params, name: string, required = false): string | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') {
    if (required) throw invalid(`Missing required param: ${name}.`, { code: 'parameter_missing', doc_url: docUrl('parameter_missing'), param: name });
    return undefined;
  }
  if (typeof raw !== 'string') throw invalid(`Invalid string: ${name}`, { code: 'parameter_invalid_string', param: name });
  return raw;
}

function boolean(params: Params, name: string): boolean | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalid(`Invalid boolean: ${String(raw)}`, { param: name });
  return raw === 'true';
}

function oneOf<T extends string>(params: Params, name: string, values: readonly T[]): T | undefined {
  const raw = string(params, name);
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw)) {
    throw invalid(`Invalid ${name}: must be one of ${values.join(', ')}`, { code: 'parameter_invalid_string', param: name });
  }
  return raw as T;
}

function currency(params: Params): string {
  const raw = string(params, 'currency', true)!.toLowerCase();
  if (!/^[a-z]{3}$/.test(raw)) throw invalid(`Invalid currency: ${raw}. Stripe currently supports these currencies: usd, eur, gbp, ...`, { param: 'currency' });
  return raw;
}

function metadata(params: Params, previous: Record<string, string> = {}): Record<string, string> {
  const raw = params.metadata;
  if (raw === undefined) return { ...previous };
  if (raw === '') return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid('Invalid metadata: must be an object', { param: 'metadata' });
  const out = { ...previous };
  for (const [key, value] of Object.entries(raw)) {
    if (value === '') delete out[key];
    else if (typeof value === 'string') out[key] = value;
    else throw invalid(`Invalid metadata[${key}]: must be a string`, { param: `metadata[${key}]` });
  }
  return out;
}

const clone = <T>(value: T): T => structuredClone(value);

/** Card payment methods the fake understands on confirm, by Stripe's test ids. */
const DECLINES: Record<string, string> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_chargeDeclinedFraudulent: 'fraudulent',
  pm_card_chargeDeclinedExpiredCard: 'expired_card',
};
const DECLINE_MESSAGES: Record<string, string> = {
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
};

const CANCELLABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

interface Fault {
  kind: 'delay' | 'drop';
  path: string | RegExp;
  method: string | undefined;
  remaining: number;
  ms: number;
  when: 'before' | 'after';
}

interface StoredResponse {
  method: string;
  path: string;
  fingerprint: string;
  status: number;
  body: string;
}

export async function startStripeFake(options: StripeFakeOptions = {}): Promise<StripeFake> {
  const apiKey = options.apiKey ?? `sk_test_${random62(24)}`;
  const defaultApiVersion = options.apiVersion ?? Stripe.API_VERSION;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const state: StripeFakeState = {
    customers: new Map(),
    paymentIntents: new Map(),
    charges: new Map(),
    refunds: new Map(),
    disputes: new Map(),
    transfers: new Map(),
    prices: new Map(),
    checkoutSessions: new Map(),
    subscriptions: new Map(),
    events: [],
    requests: [],
    balance: new Map(),
  };
  const faults: Fault[] = [];
  const idempotent = new Map<string, StoredResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let taken = 0;

  /** What caused an event: the API request, or nothing (Stripe acting on its own). */
  interface Origin {
    requestId: string | null;
    idempotencyKey: string | null;
    apiVersion: string;
  }
  const automatic: Origin = { requestId: null, idempotencyKey: null, apiVersion: defaultApiVersion };

  function emit(type: string, object: { object: string }, origin: Origin, previous?: Json): Stripe.Event {
    const event = {
      id: newId('evt'),
      object: 'event',
      api_version: origin.apiVersion,
      created: now(),
      data: { object: clone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: origin.requestId, idempotency_key: origin.idempotencyKey },
      type,
    } as unknown as Stripe.Event;
    state.events.push(event);
    return event;
  }

  const paymentIntent = (id: string, param = 'intent') => state.paymentIntents.get(id) ?? throwing(missing('payment_intent', id, param));
  const charge = (id: string, param = 'id') => state.charges.get(id) ?? throwing(missing('charge', id, param));

  function chargeOf(target: string, param: string): Stripe.Charge {
    if (target.startsWith('ch_')) return charge(target, param);
    const intent = paymentIntent(target, param);
    const latest = intent.latest_charge;
    const found = typeof latest === 'string' ? state.charges.get(latest) : undefined;
    if (!found || found.status !== 'succeeded') {
      throw invalid(`This PaymentIntent (${intent.id}) does not have a successful charge.`, { code: 'charge_not_refundable', param });
    }
    return found;
  }

  function newCharge(intent: Stripe.PaymentIntent, paymentMethod: string, declineCode: string | undefined): Stripe.Charge {
    const id = newId('ch');
    const succeeded = declineCode === undefined;
    const created = now();
    const charge = {
      id,
      object: 'charge',
      amount: intent.amount,
      amount_captured: succeeded ? intent.amount : 0,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: succeeded ? newId('txn') : null,
      billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
      calculated_statement_descriptor: 'TRADEPLANE',
      captured: succeeded,
      created,
      currency: intent.currency,
      customer: intent.customer,
      description: intent.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: succeeded ? null : 'card_declined',
      failure_message: succeeded ? null : (DECLINE_MESSAGES[declineCode!] ?? 'Your card was declined.'),
      fraud_details: {},
      invoice: null,
      livemode: false,
      metadata: clone(intent.metadata),
      on_behalf_of: null,
      outcome: succeeded
        ? { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 32, seller_message: 'Payment complete.', type: 'authorized' }
        : { network_status: 'declined_by_network', reason: declineCode, risk_level: 'normal', risk_score: 32, seller_message: 'The bank did not return any further details with this decline.', type: 'issuer_declined' },
      paid: succeeded,
      payment_intent: intent.id,
      payment_method: paymentMethod,
      payment_method_details: {
        card: {
          brand: 'visa',
          checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
          country: 'US',
          exp_month: 12,
          exp_year: new Date().getUTCFullYear() + 3,
          fingerprint: random62(16),
          funding: 'credit',
          installments: null,
          last4: declineCode === undefined ? '4242' : '0002',
          mandate: null,
          network: 'visa',
          network_token: { used: false },
          three_d_secure: null,
          wallet: null,
        },
        type: 'card',
      },
      receipt_email: intent.receipt_email,
      receipt_number: null,
      receipt_url: succeeded ? `https://pay.stripe.com/receipts/payment/${random62(40)}` : null,
      refunded: false,
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: intent.statement_descriptor_suffix,
      status: succeeded ? 'succeeded' : 'failed',
      transfer_data: null,
      transfer_group: intent.transfer_group,
    } as unknown as Stripe.Charge;
    state.charges.set(id, charge);
    if (succeeded && state.balance.has(charge.currency)) state.balance.set(charge.currency, state.balance.get(charge.currency)! + charge.amount);
    return charge;
  }

  function settle(intent: Stripe.PaymentIntent, paymentMethod: string, origin: Origin): Stripe.Event {
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw invalid(`This PaymentIntent's status is ${intent.status}, so it cannot be paid.`, { code: 'payment_intent_unexpected_state', payment_intent: clone(intent) });
    }
    const charge = newCharge(intent, paymentMethod, undefined);
    Object.assign(intent, {
      status: 'succeeded',
      amount_received: intent.amount,
      latest_charge: charge.id,
      payment_method: paymentMethod,
      last_payment_error: null,
      next_action: null,
      processing: null,
    });
    emit('charge.succeeded', charge, origin);
    return emit('payment_intent.succeeded', intent, origin);
  }

  function decline(intent: Stripe.PaymentIntent, paymentMethod: string, declineCode: string, origin: Origin): { event: Stripe.Event; error: ApiError } {
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw invalid(`This PaymentIntent's status is ${intent.status}, so it cannot be paid.`, { code: 'payment_intent_unexpected_state', payment_intent: clone(intent) });
    }
    const charge = newCharge(intent, paymentMethod, declineCode);
    const lastError = {
      charge: charge.id,
      code: declineCode === 'expired_card' ? 'expired_card' : 'card_declined',
      decline_code: declineCode,
      doc_url: docUrl('card_declined'),
      message: charge.failure_message,
      type: 'card_error',
    };
    Object.assign(intent, { status: 'requires_payment_method', latest_charge: charge.id, payment_method: null, last_payment_error: lastError, processing: null });
    emit('charge.failed', charge, origin);
    const event = emit('payment_intent.payment_failed', intent, origin);
    return { event, error: new ApiError(402, { ...lastError, payment_intent: clone(intent) }, true) };
  }

  function createRefund(params: Params, origin: Origin): { refund: Stripe.Refund; event: Stripe.Event } {
    const target = string(params, 'payment_intent') ?? string(params, 'charge');
    if (target === undefined) throw invalid('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' });
    const param = params.payment_intent !== undefined ? 'payment_intent' : 'charge';
    const ch = chargeOf(target, param);
    const open = [...state.disputes.values()].find((d) => d.charge === ch.id && !['won', 'warning_closed'].includes(d.status));
    if (open) throw invalid(`Charge ${ch.id} has been charged back; cannot issue a refund.`, { code: 'charge_disputed', doc_url: docUrl('charge_disputed') });
    const remaining = ch.amount_captured - ch.amount_refunded;
    if (remaining === 0) throw invalid(`Charge ${ch.id} has already been refunded.`, { code: 'charge_already_refunded', doc_url: docUrl('charge_already_refunded') });
    const amount = integer(params, 'amount') ?? remaining;
    if (amount <= 0) throw invalid('Invalid positive integer', { code: 'parameter_invalid_integer', param: 'amount' });
    if (amount > remaining) {
      throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { code: 'amount_too_large', doc_url: docUrl('amount_too_large'), param: 'amount' });
    }
    const refund = {
      id: newId('re'),
      object: 'refund',
      amount,
      balance_transaction: newId('txn'),
      charge: ch.id,
      created: now(),
      currency: ch.currency,
      metadata: metadata(params),
      payment_intent: ch.payment_intent,
      reason: oneOf(params, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    } as unknown as Stripe.Refund;
    state.refunds.set(refund.id, refund);
    const previous = { amount_refunded: ch.amount_refunded, refunded: ch.refunded };
    ch.amount_refunded += amount;
    ch.refunded = ch.amount_refunded === ch.amount_captured;
    emit('refund.created', refund, origin);
    const event = emit('charge.refunded', ch, origin, previous);
    return { refund, event };
  }

  // --- the API -----------------------------------------------------------------------------

  type Handler = (params: Params, origin: Origin, match: RegExpExecArray) => Json;
  const routes: Array<{ method: string; pattern: RegExp; handle: Handler }> = [];
  const route = (method: string, pattern: RegExp, handle: Handler) => routes.push({ method, pattern, handle });

  function createCustomer(params: Params, origin: Origin): Stripe.Customer {
    const customer = {
      id: newId('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: string(params, 'description') ?? null,
      discount: null,
      email: string(params, 'email') ?? null,
      invoice_prefix: random62(8).toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: metadata(params),
      name: string(params, 'name') ?? null,
      next_invoice_sequence: 1,
      phone: string(params, 'phone') ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    } as unknown as Stripe.Customer;
    state.customers.set(customer.id, customer);
    emit('customer.created', customer, origin);
    return customer;
  }
  route('POST', /^\/v1\/customers$/, (params, origin) => {
    only(params, ['description', 'email', 'metadata', 'name', 'phone', 'expand']);
    return createCustomer(params, origin);
  });
  route('GET', /^\/v1\/customers\/([^/]+)$/, (_params, _origin, match) => state.customers.get(match[1]!) ?? throwing(missing('customer', match[1]!, 'id')));

  route('POST', /^\/v1\/payment_intents$/, (params, origin) => {
    only(params, [
      'amount', 'currency', 'customer', 'description', 'metadata', 'allowed_payment_method_types', 'payment_method_types', 'automatic_payment_methods', 'capture_method',
      'confirm', 'payment_method', 'receipt_email', 'statement_descriptor_suffix', 'transfer_group', 'transfer_data', 'expand',
    ]);
    const amount = integer(params, 'amount', true);
    if (amount < 1) throw invalid('This value must be greater than or equal to 1.', { code: 'parameter_invalid_integer', param: 'amount' });
    const cur = currency(params);
    const customer = string(params, 'customer');
    if (customer !== undefined && !state.customers.has(customer)) throw missing('customer', customer, 'customer');
    const captureMethod = oneOf(params, 'capture_method', ['automatic', 'automatic_async'] as const) ?? 'automatic_async';
    // `allowed_payment_method_types` in the SDK's API version, `payment_method_types` in older ones.
    const typesParam = params.allowed_payment_method_types !== undefined ? 'allowed_payment_method_types' : 'payment_method_types';
    const types = params[typesParam];
    if (types !== undefined && (!Array.isArray(types) || types.some((t) => t !== 'card'))) {
      throw invalid(`The fake supports only card payments: ${typesParam} must be [card].`, { param: typesParam });
    }
    const automaticMethods = types === undefined ? { allow_redirects: 'always', enabled: true } : null;
    const paymentMethod = string(params, 'payment_method');
    const confirm = boolean(params, 'confirm') ?? false;
    if (confirm && paymentMethod === undefined) {
      throw invalid('You must provide a payment_method to confirm this PaymentIntent.', { code: 'parameter_missing', param: 'payment_method' });
    }
    const transferData = params.transfer_data as Params | undefined;
    const destination = transferData === undefined ? undefined : string(transferData, 'destination', true);
    const id = newId('pi');
    const intent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      allowed_payment_method_types: typesParam === 'allowed_payment_method_types' ? ['card'] : null,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: automaticMethods,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: captureMethod,
      client_secret: `${id}_secret_${random62(25)}`,
      confirmation_method: 'automatic',
      created: now(),
      currency: cur,
      customer: customer ?? null,
      description: string(params, 'description') ?? null,
      excluded_payment_method_types: null,
      invoice: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: metadata(params),
      next_action: null,
      on_behalf_of: null,
      payment_method: paymentMethod ?? null,
      payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
      payment_method_types: ['card'],
      processing: null,
      receipt_email: string(params, 'receipt_email') ?? null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      statement_descriptor_suffix: string(params, 'statement_descriptor_suffix') ?? null,
      status: paymentMethod === undefined ? 'requires_payment_method' : 'requires_confirmation',
      transfer_data: destination === undefined ? null : { destination, ...(transferData!.amount === undefined ? {} : { amount: integer(transferData!, 'amount') }) },
      transfer_group: string(params, 'transfer_group') ?? null,
    } as unknown as Stripe.PaymentIntent;
    state.paymentIntents.set(id, intent);
    emit('payment_intent.created', intent, origin);
    if (confirm) {
      const declineCode = DECLINES[paymentMethod!];
      if (declineCode !== undefined) throw decline(intent, paymentMethod!, declineCode, origin).error;
      settle(intent, paymentMethod!, origin);
    }
    return intent;
  });
  route('GET', /^\/v1\/payment_intents\/([^/]+)$/, (_params, _origin, match) => paymentIntent(match[1]!));
  route('POST', /^\/v1\/payment_intents\/([^/]+)\/cancel$/, (params, origin, match) => {
    only(params, ['cancellation_reason', 'expand']);
    const intent = paymentIntent(match[1]!);
    const reason = oneOf(params, 'cancellation_reason', ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const);
    if (!CANCELLABLE.includes(intent.status)) {
      throw invalid(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELLABLE.join(', ')}.`,
        { code: 'payment_intent_unexpected_state', doc_url: docUrl('payment_intent_unexpected_state'), payment_intent: clone(intent) },
      );
    }
    Object.assign(intent, { status: 'canceled', canceled_at: now(), cancellation_reason: reason ?? null, next_action: null, processing: null });
    emit('payment_intent.canceled', intent, origin);
    return intent;
  });

  route('POST', /^\/v1\/refunds$/, (params, origin) => {
    only(params, ['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand']);
    return createRefund(params, origin).refund;
  });
  route('GET', /^\/v1\/charges\/([^/]+)$/, (_params, _origin, match) => charge(match[1]!));

  route('POST', /^\/v1\/transfers$/, (params, origin) => {
    only(params, ['amount', 'currency', 'destination', 'description', 'metadata', 'source_transaction', 'transfer_group', 'expand']);
    const amount = integer(params, 'amount', true);
    if (amount < 1) throw invalid('This value must be greater than or equal to 1.', { code: 'parameter_invalid_integer', param: 'amount' });
    const cur = currency(params);
    const destination = string(params, 'destination', true)!;
    if (!/^acct_[A-Za-z0-9]+$/.test(destination)) throw missing('destination', destination, 'destination');
    const sourceTransaction = string(params, 'source_transaction');
    if (sourceTransaction !== undefined) charge(sourceTransaction, 'source_transaction');
    const available = state.balance.get(cur);
    if (available !== undefined && sourceTransaction === undefined && amount > available) {
      throw invalid(
        'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.',
        { code: 'balance_insufficient', doc_url: docUrl('balance_insufficient') },
      );
    }
    if (available !== undefined && sourceTransaction === undefined) state.balance.set(cur, available - amount);
    const id = newId('tr');
    const transfer = {
      id,
      object: 'transfer',
      amount,
      amount_reversed: 0,
      balance_transaction: newId('txn'),
      created: now(),
      currency: cur,
      description: string(params, 'description') ?? null,
      destination,
      destination_payment: newId('py'),
      livemode: false,
      metadata: metadata(params),
      reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/transfers/${id}/reversals` },
      reversed: false,
      source_transaction: sourceTransaction ?? null,
      source_type: 'card',
      transfer_group: string(params, 'transfer_group') ?? null,
    } as unknown as Stripe.Transfer;
    state.transfers.set(id, transfer);
    emit('transfer.created', transfer, origin);
    return transfer;
  });
  route('GET', /^\/v1\/transfers\/([^/]+)$/, (_params, _origin, match) => state.transfers.get(match[1]!) ?? throwing(missing('transfer', match[1]!, 'id')));

  route('GET', /^\/v1\/events\/([^/]+)$/, (_params, _origin, match) => state.events.find((e) => e.id === match[1]) ?? throwing(missing('event', match[1]!, 'id')));

  route('GET', /^\/v1\/disputes\/([^/]+)$/, (_params, _origin, match) => state.disputes.get(match[1]!) ?? throwing(missing('dispute', match[1]!, 'dispute')));

  // --- Billing -------------------------------------------------------------------------------

  const INTERVAL_SECONDS: Record<string, number> = { day: 86_400, week: 7 * 86_400, month: 30 * 86_400, year: 365 * 86_400 };
  /** What a Checkout Session keeps for its completion that its public shape does not show. */
  const sessionExtras = new Map<string, { price: Stripe.Price; subscriptionMetadata: Record<string, string> }>();
  const price = (id: string, param = 'price') => state.prices.get(id) ?? throwing(missing('price', id, param));
  const subscription = (id: string) => state.subscriptions.get(id) ?? throwing(missing('subscription', id, 'id'));

  route('POST', /^\/v1\/prices$/, (params) => {
    only(params, ['currency', 'unit_amount', 'recurring', 'product', 'product_data', 'nickname', 'lookup_key', 'metadata', 'expand']);
    const cur = currency(params);
    const unitAmount = integer(params, 'unit_amount', true);
    const recurring = params.recurring as Params | undefined;
    const interval = recurring === undefined ? undefined : oneOf(recurring, 'interval', ['day', 'week', 'month', 'year'] as const);
    if (recurring !== undefined && interval === undefined) throw invalid('Missing required param: recurring[interval].', { code: 'parameter_missing', param: 'recurring[interval]' });
    const product = string(params, 'product') ?? (params.product_data !== undefined ? newId('prod') : undefined);
    if (product === undefined) throw invalid('You must specify either product or product_data when creating a price.', { code: 'parameter_missing', param: 'product' });
    const created = {
      id: newId('price'),
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      created: now(),
      currency: cur,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: string(params, 'lookup_key') ?? null,
      metadata: metadata(params),
      nickname: string(params, 'nickname') ?? null,
      product,
      recurring: interval === undefined ? null : { interval, interval_count: integer(recurring!, 'interval_count') ?? 1, meter: null, usage_type: 'licensed' },
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: interval === undefined ? 'one_time' : 'recurring',
      unit_amount: unitAmount,
      unit_amount_decimal: String(unitAmount),
    } as unknown as Stripe.Price;
    state.prices.set(created.id, created);
    return created;
  });
  route('GET', /^\/v1\/prices\/([^/]+)$/, (_params, _origin, match) => price(match[1]!, 'id'));

  route('POST', /^\/v1\/checkout\/sessions$/, (params) => {
    only(params, ['mode', 'line_items', 'client_reference_id', 'customer', 'customer_email', 'subscription_data', 'metadata', 'success_url', 'cancel_url', 'expand']);
    const mode = oneOf(params, 'mode', ['payment', 'setup', 'subscription'] as const);
    if (mode !== 'subscription') throw invalid('The fake supports only mode=subscription Checkout Sessions.', { param: 'mode' });
    const items = params.line_items;
    if (!Array.isArray(items) || items.length !== 1) throw invalid('The fake supports exactly one line item.', { param: 'line_items' });
    const item = items[0] as Params;
    const bought = price(string(item, 'price', true)!, 'line_items[0][price]');
    if (bought.recurring === null) throw invalid('You must specify at least one recurring price in `subscription` mode when using prices.', { param: 'line_items[0][price]' });
    const quantity = integer(item, 'quantity') ?? 1;
    if (quantity !== 1) throw invalid('The fake supports quantity 1 only.', { param: 'line_items[0][quantity]' });
    const customer = string(params, 'customer');
    const email = string(params, 'customer_email');
    if (customer !== undefined && email !== undefined) throw invalid('You may only specify one of these parameters: customer, customer_email.', { param: 'customer_email' });
    if (customer !== undefined && !state.customers.has(customer)) throw missing('customer', customer, 'customer');
    const subscriptionData = (params.subscription_data ?? {}) as Params;
    only(subscriptionData, ['metadata']);
    const id = `cs_test_${random62(58)}`;
    const created = now();
    const session = {
      id,
      object: 'checkout.session',
      amount_subtotal: bought.unit_amount,
      amount_total: bought.unit_amount,
      cancel_url: string(params, 'cancel_url') ?? null,
      client_reference_id: string(params, 'client_reference_id') ?? null,
      created,
      currency: bought.currency,
      customer: customer ?? null,
      customer_email: email ?? null,
      expires_at: created + 24 * 3600,
      livemode: false,
      metadata: metadata(params),
      mode,
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      subscription: null,
      success_url: string(params, 'success_url') ?? null,
      ui_mode: 'hosted',
      url: `https://checkout.stripe.com/c/pay/${id}`,
    } as unknown as Stripe.Checkout.Session;
    state.checkoutSessions.set(id, session);
    sessionExtras.set(id, { price: bought, subscriptionMetadata: metadata(subscriptionData) });
    return session;
  });
  route('GET', /^\/v1\/checkout\/sessions\/([^/]+)$/, (_params, _origin, match) => state.checkoutSessions.get(match[1]!) ?? throwing(missing('checkout.session', match[1]!, 'session')));

  function createSubscription(customer: string, bought: Stripe.Price, meta: Record<string, string>): Stripe.Subscription {
    const id = newId('sub');
    const start = now();
    const end = start + INTERVAL_SECONDS[bought.recurring!.interval]! * bought.recurring!.interval_count;
    const item = {
      id: newId('si'),
      object: 'subscription_item',
      billing_thresholds: null,
      created: start,
      current_period_end: end,
      current_period_start: start,
      discounts: [],
      metadata: {},
      price: clone(bought),
      quantity: 1,
      subscription: id,
      tax_rates: [],
    };
    const created = {
      id,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: start,
      billing_cycle_anchor_config: null,
      billing_thresholds: null,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: 'charge_automatically',
      created: start,
      currency: bought.currency,
      customer,
      days_until_due: null,
      default_payment_method: newId('pm'),
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      ended_at: null,
      items: { object: 'list', data: [item], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${id}` },
      latest_invoice: newId('in'),
      livemode: false,
      metadata: { ...meta },
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: start,
      status: 'active',
      test_clock: null,
      transfer_data: null,
      trial_end: null,
      trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
      trial_start: null,
    } as unknown as Stripe.Subscription;
    state.subscriptions.set(id, created);
    return created;
  }

  /** The next billing period starts where the current one ended. */
  function advancePeriod(sub: Stripe.Subscription): void {
    for (const item of sub.items.data) {
      const length = INTERVAL_SECONDS[item.price.recurring!.interval]! * item.price.recurring!.interval_count;
      item.current_period_start = item.current_period_end;
      item.current_period_end += length;
    }
  }

  route('GET', /^\/v1\/subscriptions\/([^/]+)$/, (_params, _origin, match) => subscription(match[1]!));
  route('POST', /^\/v1\/subscriptions\/([^/]+)$/, (params, origin, match) => {
    only(params, ['cancel_at_period_end', 'metadata', 'expand']);
    const sub = subscription(match[1]!);
    if (sub.status === 'canceled') {
      throw invalid('A canceled subscription can only update its cancellation_details and metadata.', { param: 'cancel_at_period_end' });
    }
    const previous: Json = {};
    const cancel = boolean(params, 'cancel_at_period_end');
    if (cancel !== undefined && cancel !== sub.cancel_at_period_end) {
      Object.assign(previous, { cancel_at_period_end: sub.cancel_at_period_end, cancel_at: sub.cancel_at, canceled_at: sub.canceled_at });
      const periodEnd = sub.items.data[0]!.current_period_end;
      Object.assign(sub, { cancel_at_period_end: cancel, cancel_at: cancel ? periodEnd : null, canceled_at: cancel ? now() : null });
    }
    if (params.metadata !== undefined) {
      previous.metadata = clone(sub.metadata);
      sub.metadata = metadata(params, sub.metadata);
    }
    if (Object.keys(previous).length > 0) emit('customer.subscription.updated', sub, origin, previous);
    return sub;
  });

  // --- HTTP ----------------------------------------------------------------------------------

  function takeFault(kind: Fault['kind'], method: string, path: string, when?: Fault['when']): Fault | undefined {
    const fault = faults.find(
      (f) =>
        f.kind === kind &&
        f.remaining > 0 &&
        (when === undefined || f.when === when) &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (typeof f.path === 'string' ? f.path === path : f.path.test(path)),
    );
    if (fault) fault.remaining -= 1;
    return fault;
  }

  function authenticate(header: string | undefined): void {
    if (!header) {
      throw new ApiError(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      });
    }
    const key = /^Bearer (.+)$/.exec(header)?.[1];
    if (key !== apiKey) {
      const shown = key ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : '';
      throw new ApiError(401, { type: 'invalid_request_error', code: 'api_key_invalid', message: `Invalid API Key provided: ${shown}` });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://stripe.fake');
    const path = url.pathname;
    const requestId = `req_${random62(14)}`;
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const stripeVersion = req.headers['stripe-version'] as string | undefined;

    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => (timers.delete(timer), resolve()), ms);
        timers.add(timer);
      });
    const delay = takeFault('delay', method, path, 'before');
    if (delay) await wait(delay.ms);
    if (takeFault('drop', method, path, 'before')) {
      req.socket.destroy();
      return;
    }

    let params: Params = {};
    let status = 200;
    let body: string;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': stripeVersion ?? defaultApiVersion,
    };
    try {
      authenticate(req.headers.authorization);
      params = decodeForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : raw);
      const stored = method === 'POST' && idempotencyKey !== undefined ? idempotent.get(`${apiKey} ${idempotencyKey}`) : undefined;
      const fingerprint = raw.split('&').sort().join('&');
      if (stored && (stored.method !== method || stored.path !== path || stored.fingerprint !== fingerprint)) {
        throw new ApiError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      if (stored) {
        status = stored.status;
        body = stored.body;
        headers['idempotent-replayed'] = 'true';
      } else {
        const found = routes.find((r) => r.method === method && r.pattern.test(path));
        if (!found) {
          throw new ApiError(404, {
            type: 'invalid_request_error',
            message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          });
        }
        const origin: Origin = { requestId, idempotencyKey: idempotencyKey ?? null, apiVersion: stripeVersion ?? defaultApiVersion };
        let tookEffect = true;
        try {
          body = JSON.stringify(found.handle(params, origin, found.pattern.exec(path)!));
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          tookEffect = error.tookEffect;
          status = error.status;
          body = JSON.stringify({ error: { ...error.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } });
        }
        if (method === 'POST' && idempotencyKey !== undefined && tookEffect) {
          idempotent.set(`${apiKey} ${idempotencyKey}`, { method, path, fingerprint, status, body });
        }
      }
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      body = JSON.stringify({ error: error.body });
    }
    state.requests.push({ method, path, params, idempotencyKey, stripeVersion, status });
    const late = takeFault('delay', method, path, 'after');
    if (late) await wait(late.ms);
    if (takeFault('drop', method, path, 'after')) {
      req.socket.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(status, headers).end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    host,
    port,
    protocol: 'http',
    apiKey,
    state,
    client: (config = {}) => new Stripe(apiKey, { host, port, protocol: 'http', telemetry: false, ...config }),
    takeEvents: () => state.events.slice(taken, (taken = state.events.length)),
    succeedPaymentIntent(id, { paymentMethod = 'pm_card_visa' } = {}) {
      return settle(paymentIntent(id), paymentMethod, automatic);
    },
    failPaymentIntent(id, { declineCode = 'generic_decline', paymentMethod = 'pm_card_chargeDeclined' } = {}) {
      return decline(paymentIntent(id), paymentMethod, declineCode, automatic).event;
    },
    processPaymentIntent(id) {
      const intent = paymentIntent(id);
      if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(intent.status)) {
        throw new Error(`payment_intent ${id} is ${intent.status}: it cannot start processing`);
      }
      Object.assign(intent, { status: 'processing', processing: { card: {}, type: 'card' } });
      return emit('payment_intent.processing', intent, automatic);
    },
    refund(target, { amount, reason } = {}) {
      const params: Params = { [target.startsWith('ch_') ? 'charge' : 'payment_intent']: target };
      if (amount !== undefined) params.amount = String(amount);
      if (reason !== undefined) params.reason = reason;
      return createRefund(params, automatic).event;
    },
    openDispute(target, { amount, reason = 'fraudulent' } = {}) {
      const ch = chargeOf(target, 'charge');
      const created = now();
      const dispute = {
        id: newId('dp'),
        object: 'dispute',
        amount: amount ?? ch.amount - ch.amount_refunded,
        balance_transactions: [],
        charge: ch.id,
        created,
        currency: ch.currency,
        evidence: Object.fromEntries(EVIDENCE_FIELDS.map((field) => [field, null])),
        evidence_details: { due_by: created + 7 * 24 * 3600, has_evidence: false, past_due: false, submission_count: 0 },
        is_charge_refundable: false,
        livemode: false,
        metadata: {},
        payment_intent: ch.payment_intent,
        payment_method_details: { card: { brand: 'visa', network_reason_code: '10.4' }, type: 'card' },
        reason,
        status: 'needs_response',
      } as unknown as Stripe.Dispute;
      state.disputes.set(dispute.id, dispute);
      ch.disputed = true;
      const created_ = emit('charge.dispute.created', dispute, automatic);
      emit('charge.dispute.funds_withdrawn', dispute, automatic);
      return created_;
    },
    updateDispute(id, status) {
      const dispute = state.disputes.get(id);
      if (!dispute) throw new Error(`no dispute ${id}`);
      if (dispute.status === 'won' || dispute.status === 'lost') throw new Error(`dispute ${id} is already ${dispute.status}`);
      const previous = { status: dispute.status };
      dispute.status = status;
      if (status.endsWith('under_review')) dispute.evidence_details = { ...dispute.evidence_details, has_evidence: true, submission_count: dispute.evidence_details.submission_count + 1 };
      return emit('charge.dispute.updated', dispute, automatic, previous);
    },
    closeDispute(id, outcome) {
      const dispute = state.disputes.get(id);
      if (!dispute) throw new Error(`no dispute ${id}`);
      if (dispute.status === 'won' || dispute.status === 'lost') throw new Error(`dispute ${id} is already ${dispute.status}`);
      const previous = { status: dispute.status };
      dispute.status = outcome;
      const closed = emit('charge.dispute.closed', dispute, automatic, previous);
      if (outcome === 'won') emit('charge.dispute.funds_reinstated', dispute, automatic);
      return closed;
    },
    completeCheckout(sessionId) {
      const session = state.checkoutSessions.get(sessionId);
      if (!session) throw new Error(`no checkout session ${sessionId}`);
      if (session.status !== 'open') throw new Error(`checkout session ${sessionId} is ${session.status}`);
      const extra = sessionExtras.get(sessionId)!;
      let customer = typeof session.customer === 'string' ? state.customers.get(session.customer)! : undefined;
      customer ??= createCustomer({ email: session.customer_email ?? undefined }, automatic);
      const subscription = createSubscription(customer.id, extra.price, extra.subscriptionMetadata);
      Object.assign(session, { status: 'complete', payment_status: 'paid', customer: customer.id, subscription: subscription.id, url: null });
      const created_ = emit('customer.subscription.created', subscription, automatic);
      emit('checkout.session.completed', session, automatic);
      return created_;
    },
    failRenewal(subscriptionId) {
      const sub = subscription(subscriptionId);
      const previous = { status: sub.status, latest_invoice: sub.latest_invoice };
      advancePeriod(sub);
      Object.assign(sub, { status: 'past_due', latest_invoice: newId('in') });
      return emit('customer.subscription.updated', sub, automatic, previous);
    },
    endPeriod(subscriptionId) {
      const sub = subscription(subscriptionId);
      if (sub.status === 'canceled') throw new Error(`subscription ${subscriptionId} is already canceled`);
      if (sub.cancel_at_period_end || sub.status === 'past_due' || sub.status === 'unpaid') {
        const at = sub.items.data[0]!.current_period_end;
        Object.assign(sub, { status: 'canceled', canceled_at: sub.canceled_at ?? at, ended_at: at });
        return emit('customer.subscription.deleted', sub, automatic);
      }
      const previous = { latest_invoice: sub.latest_invoice, items: clone(sub.items) };
      advancePeriod(sub);
      sub.latest_invoice = newId('in');
      return emit('customer.subscription.updated', sub, automatic, previous);
    },
    faults: {
      delay(path, ms, { method, times = 1, when = 'before' } = {}) {
        faults.push({ kind: 'delay', path, method, remaining: times, ms, when });
      },
      drop(path, { method, times = 1, when = 'before' } = {}) {
        faults.push({ kind: 'drop', path, method, remaining: times, ms: 0, when });
      },
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function throwing(error: Error): never {
  throw error;
}

const EVIDENCE_FIELDS = [
  'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal',
  'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature',
  'duplicate_charge_documentation', 'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description', 'receipt',
  'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'service_documentation',
  'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation', 'shipping_tracking_number',
  'uncategorized_file', 'uncategorized_text',
];
