import { groups, operations, type Operations } from './generated.js';
import { ConnectionError, TimeoutError, errorFor } from './errors.js';

export interface Tokens {
  accessToken?: string;
  refreshToken?: string;
}

/** Where the client keeps the signed-in user's tokens. The default keeps them in memory. */
export interface TokenStore {
  get(): Tokens | Promise<Tokens>;
  set(tokens: Tokens): void | Promise<void>;
}

export function memoryTokenStore(initial: Tokens = {}): TokenStore {
  let tokens = { ...initial };
  return { get: () => tokens, set: (next) => void (tokens = { ...next }) };
}

export interface RequestInfo {
  operation: keyof Operations;
  url: string;
  init: RequestInit & { headers: Record<string, string> };
  attempt: number;
}

export interface ClientOptions {
  /** The API's base URL, mount path included: `https://api.example.com/api/v1`. */
  baseUrl: string;
  /** A custom fetch (tests, proxies, Lambda shims). Defaults to the global one. */
  fetch?: typeof fetch;
  /** Tokens from sign-in, refresh, change-password and OIDC answers are stored here. */
  tokenStore?: TokenStore;
  /** Sent as `X-API-Key` where no access token is available and the route accepts keys. */
  apiKey?: string;
  /** Sent as `Authorization: License <token>` on license-token routes (trading terminals). */
  licenseToken?: string;
  /** Per-request timeout in ms (default 30 s). */
  timeout?: number;
  /** Retries for idempotent requests on network errors, 408, 429 and 5xx (default 2). */
  retries?: number;
  headers?: Record<string, string>;
  /** Called once per logical call, before the first attempt (retries stay beneath hooks). */
  onRequest?(request: RequestInfo): void | Promise<void>;
  /** Called once per logical call with the final response. */
  onResponse?(response: Response, request: RequestInfo): void | Promise<void>;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeout?: number;
  retries?: number;
  headers?: Record<string, string>;
  /** For money requests: the key is generated once per call unless given, and kept across retries. */
  idempotencyKey?: string;
}

type Input<Id extends keyof Operations> = Operations[Id]['input'];
type Method<Id extends keyof Operations> = Input<Id> extends void
  ? (input?: undefined, options?: CallOptions) => Promise<Operations[Id]['output']>
  : {} extends Input<Id>
    ? (input?: Input<Id>, options?: CallOptions) => Promise<Operations[Id]['output']>
    : (input: Input<Id>, options?: CallOptions) => Promise<Operations[Id]['output']>;

type ItemsOf<O> = { [K in keyof O]: O[K] extends Array<infer T> ? T : never }[keyof O];
type Paginated<Id extends keyof Operations> = 'cursor' extends keyof Exclude<Input<Id>, void> ? Id : never;
type PageMethods<G extends keyof typeof groups> = {
  [K in keyof (typeof groups)[G] as (typeof groups)[G][K] extends Paginated<(typeof groups)[G][K] & keyof Operations> ? `${K & string}All` : never]: (
    input?: Omit<Exclude<Input<(typeof groups)[G][K] & keyof Operations>, void>, 'cursor'>,
    options?: CallOptions,
  ) => AsyncIterable<ItemsOf<Operations[(typeof groups)[G][K] & keyof Operations]['output']>>;
};

/** `api.<group>.<operation>(input, options)`, plus `<operation>All` iterators for cursor-paged lists. */
export type Api = {
  [G in keyof typeof groups]: { [K in keyof (typeof groups)[G]]: Method<(typeof groups)[G][K] & keyof Operations> } & PageMethods<G>;
} & {
  /** The token store in use: read the tokens, or set them after signing in some other way. */
  readonly tokens: TokenStore;
};

type OperationSpec = (typeof operations)[keyof typeof operations];

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/** Exponential backoff 0.5 s → 8 s with full jitter, or the server's Retry-After. */
function backoff(attempt: number, retryAfter: number | undefined): number {
  if (retryAfter !== undefined) return Math.min(retryAfter * 1000, 60_000);
  const ceiling = Math.min(8000, 500 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function randomKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * Creates a typed client. Every method comes from the generated operation table; nothing here
 * knows a route.
 *
 * @example
 * const api = createClient({ baseUrl: 'http://localhost:3000/api/v1' });
 * await api.auth.login({ email: 'alice@example.com', password: 'correct horse battery' });
 * const me = await api.auth.me(); // the access token was stored by login
 */
export function createClient(options: ClientOptions): Api {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const tokens = options.tokenStore ?? memoryTokenStore();
  let refreshing: Promise<boolean> | undefined;

  async function call(id: keyof Operations, input: Record<string, unknown> | undefined, callOptions: CallOptions = {}): Promise<unknown> {
    const spec = operations[id] as OperationSpec;
    const values = input ?? {};
    let path: string = spec.path;
    for (const name of spec.pathParams) {
      const value = values[name];
      if (value === undefined) throw new TypeError(`${id}: missing path parameter '${name}'`);
      path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
    }
    const query = new URLSearchParams();
    for (const name of spec.queryParams) {
      const value = values[name];
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) query.append(name, String(v));
    }
    let body: string | undefined;
    if (spec.hasBody) {
      const fields = Object.fromEntries(spec.bodyFields.filter((f) => values[f] !== undefined).map((f) => [f, values[f]]));
      body = JSON.stringify(fields);
    }
    const url = `${baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...callOptions.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const isGet = spec.method === 'GET';
    if (!isGet && spec.idempotent) headers['idempotency-key'] = callOptions.idempotencyKey ?? randomKey();
    // Only requests that cannot act twice are retried: GETs, and money requests carrying a key.
    const retryable = isGet || headers['idempotency-key'] !== undefined;

    const send = async (): Promise<Response> => {
      await authorise(spec, headers);
      const info: RequestInfo = { operation: id, url, init: { method: spec.method, headers, body }, attempt: 0 };
      await options.onRequest?.(info);
      const response = await attempts(info, retryable ? (callOptions.retries ?? options.retries ?? 2) : 0, callOptions);
      await options.onResponse?.(response, info);
      return response;
    };

    let response = await send();
    if (response.status === 401 && spec.auth !== 'public' && (await problemCode(response)) === 'token_expired') {
      // A concurrent call may have refreshed while this one was in flight (its refresh already
      // over, so there is none to join): then retry with the new token instead of refreshing again.
      const { accessToken } = await tokens.get();
      const refreshedMeanwhile = accessToken !== undefined && headers.authorization !== `Bearer ${accessToken}`;
      if (refreshedMeanwhile || (await refreshOnce())) response = await send();
    }
    return read(id, response);
  }

  async function authorise(spec: OperationSpec, headers: Record<string, string>): Promise<void> {
    delete headers.authorization;
    delete headers['x-api-key'];
    if (spec.auth === 'public') return;
    if ((spec.auth as string) === 'license') {
      if (options.licenseToken) headers.authorization = `License ${options.licenseToken}`;
      return;
    }
    const { accessToken } = await tokens.get();
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    else if (options.apiKey && spec.scope) headers['x-api-key'] = options.apiKey;
  }

  async function attempts(info: RequestInfo, retries: number, callOptions: CallOptions): Promise<Response> {
    const timeout = callOptions.timeout ?? options.timeout ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      info.attempt = attempt;
      callOptions.signal?.throwIfAborted(); // cancelled before (or between) attempts
      const timer = AbortSignal.timeout(timeout);
      const signal = callOptions.signal ? AbortSignal.any([callOptions.signal, timer]) : timer;
      let response: Response | undefined;
      let failure: Error | undefined;
      try {
        response = await doFetch(info.url, { ...info.init, signal });
      } catch (error) {
        if (callOptions.signal?.aborted) throw callOptions.signal.reason;
        failure = timer.aborted ? new TimeoutError(timeout) : new ConnectionError('The request got no response', { cause: error });
      }
      const status = response?.status;
      const transient = failure !== undefined || status === 408 || status === 429 || (status !== undefined && status >= 500);
      if (!transient || attempt >= retries) {
        if (failure) throw failure;
        return response!;
      }
      const retryAfter = Number(response?.headers.get('retry-after'));
      await response?.body?.cancel().catch(() => {});
      await sleep(backoff(attempt, Number.isFinite(retryAfter) && retryAfter >= 0 && response?.headers.has('retry-after') ? retryAfter : undefined), callOptions.signal);
    }
  }

  async function problemCode(response: Response): Promise<string | undefined> {
    try {
      return ((await response.clone().json()) as { code?: string }).code;
    } catch {
      return undefined;
    }
  }

  /** Concurrent calls that hit an expired token share one refresh. */
  function refreshOnce(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const { refreshToken } = await tokens.get();
        if (!refreshToken) return false;
        await call('auth.refresh', { refresh_token: refreshToken });
        return true;
      } catch {
        return false;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  async function read(id: keyof Operations, response: Response): Promise<unknown> {
    const text = await response.text();
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      // A success that is not JSON (Prometheus text from /metrics) is the text itself.
      if (response.ok) return text;
      payload = undefined;
    }
    if (!response.ok) {
      const problem = (payload ?? {}) as { code?: string; detail?: string; errors?: never[]; request_id?: string };
      const retryAfter = response.headers.get('retry-after');
      throw errorFor(response.status, {
        status: response.status,
        code: (problem.code ?? 'internal_error') as never,
        detail: problem.detail ?? (response.statusText || 'Request failed'),
        fieldErrors: problem.errors,
        requestId: problem.request_id ?? response.headers.get('x-request-id') ?? undefined,
        retryAfter: retryAfter === null ? undefined : Number(retryAfter),
        problem: payload as never,
      });
    }
    // Answers that carry tokens (sign-in, refresh, change-password, OIDC) update the store;
    // logging out clears it.
    if (payload && typeof payload === 'object' && typeof (payload as { access_token?: unknown }).access_token === 'string') {
      const { access_token, refresh_token } = payload as { access_token: string; refresh_token?: string };
      const current = await tokens.get();
      await tokens.set({ accessToken: access_token, refreshToken: refresh_token ?? current.refreshToken });
    }
    if (id === 'auth.logout') await tokens.set({});
    return response.status === 204 ? undefined : payload;
  }

  async function* pages(id: keyof Operations, input: Record<string, unknown> | undefined, callOptions?: CallOptions): AsyncIterable<unknown> {
    let cursor: string | undefined;
    do {
      const page = (await call(id, { ...input, cursor }, callOptions)) as Record<string, unknown>;
      const items = Object.values(page).find(Array.isArray) as unknown[] | undefined;
      for (const item of items ?? []) yield item;
      cursor = typeof page.next_cursor === 'string' ? page.next_cursor : undefined;
    } while (cursor);
  }

  const api: Record<string, unknown> = { tokens };
  for (const [group, names] of Object.entries(groups)) {
    const methods: Record<string, unknown> = {};
    for (const [name, id] of Object.entries(names) as [string, keyof Operations][]) {
      methods[name] = (input?: Record<string, unknown>, callOptions?: CallOptions) => call(id, input, callOptions);
      if ((operations[id] as OperationSpec).queryParams.includes('cursor' as never)) {
        methods[`${name}All`] = (input?: Record<string, unknown>, callOptions?: CallOptions) => pages(id, input, callOptions);
      }
    }
    api[group] = methods;
  }
  return api as Api;
}
