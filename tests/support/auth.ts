import { expect } from 'vitest';
import type { TestResponse, TestServer } from './server.js';

export function expectProblem(res: TestResponse, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: `urn:tradeplane:problem:${code}` });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack traces
}

export interface SignedIn {
  id: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
  sessionId: string;
}

let counter = 0;

/** Registers a fresh user and signs them in. */
export async function signUp(server: TestServer, name = `user${++counter}`, extra: Record<string, unknown> = {}): Promise<SignedIn> {
  const email = `${name}@example.com`;
  const password = `${name}-long-passphrase`;
  const registered = await server.request('POST', '/auth/register', { body: { email, password, ...extra } });
  expect(registered.status, registered.text).toBe(201);
  return signIn(server, email, password, registered.body.user.id);
}

export async function signIn(server: TestServer, email: string, password: string, id?: string): Promise<SignedIn> {
  const login = await server.request('POST', '/auth/login', { body: { email, password } });
  expect(login.status, login.text).toBe(200);
  return {
    id: id ?? login.body.user.id,
    email,
    password,
    access: login.body.access_token,
    refresh: login.body.refresh_token,
    sessionId: login.body.session_id,
  };
}

/** Promotes through the in-process API (how an operator creates the first admin), then signs in again. */
export async function signUpAdmin(server: TestServer, name?: string): Promise<SignedIn> {
  const user = await signUp(server, name);
  await server.engine.admin.setRole(null, user.id, 'admin');
  return signIn(server, user.email, user.password, user.id);
}
