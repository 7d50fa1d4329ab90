import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import type { Engine } from '@tradeplane/engine';
import { createStripeDepositsApp } from '../../examples/stripe-deposits/src/app.js';
import { TEST_AUTH } from '../support/server.js';
import { signedWebhook, startStripeFake, type StripeFake } from '../support/stripe-fake.js';

const webhookSecret = 'whsec_example_stripe_deposits';

/** The Stripe deposits example, served on a real port, with the real SDK against the local Stripe fake. */
describe('the stripe-deposits example', () => {
  let fake: StripeFake;
  let engine: Engine;
  let server: Server;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), 'tradeplane-stripe-example-'));
  beforeAll(async () => {
    fake = await startStripeFake();
    const built = await createStripeDepositsApp({
      stripe: fake.client({ maxNetworkRetries: 0 }),
      webhookSecret,
      engine: { database: join(dir, 'example.db'), mode: 'test', logger: silentLogger, auth: TEST_AUTH },
    });
    engine = built.engine;
    server = built.app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await engine?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('credits a card deposit when Stripe’s signed webhook arrives, once', async () => {
    const email = 'cardholder@example.com';
    const password = 'cardholder-long-passphrase';
    expect((await call('POST', '/auth/register', { body: { email, password } })).status).toBe(201);
    const token = (await call('POST', '/auth/login', { body: { email, password } })).body.access_token as string;
    const account = (await call('POST', '/accounts', { token, body: { currency: 'USD' } })).body;
    const asked = await call('POST', '/wallet/deposits', { token, headers: { 'idempotency-key': 'example-deposit-1' }, body: { account_id: account.id, amount: '25.00', currency: 'USD' } });
    expect(asked.status).toBe(201);
    expect(asked.body.payment.client_secret).toMatch(/^pi_.+_secret_/);

    // The cardholder pays (Stripe Elements in a browser; here, the fake's scenario).
    fake.succeedPaymentIntent(asked.body.deposit.provider_reference);
    for (const event of fake.takeEvents()) {
      const signed = signedWebhook(event, webhookSecret);
      for (let delivery = 0; delivery < 2; delivery++) {
        const answer = await call('POST', '/webhooks/stripe', { raw: signed.body, headers: signed.headers });
        expect(answer.status).toBe(200);
      }
    }
    expect((await call('GET', `/accounts/${account.id}`, { token })).body).toMatchObject({ balance: '25.00', available: '25.00' });
    expect((await call('GET', `/wallet/deposits/${asked.body.deposit.id}`, { token })).body).toMatchObject({ status: 'succeeded' });

    const forged = signedWebhook({ id: 'evt_forged', type: 'payment_intent.succeeded' }, 'whsec_not_the_secret');
    expect((await call('POST', '/webhooks/stripe', { raw: forged.body, headers: forged.headers })).body).toMatchObject({ code: 'invalid_signature' });
    expect((await engine.wallets.verifyLedger()).ok).toBe(true);
  });
});
