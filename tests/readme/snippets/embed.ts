import { createEngine } from '@tradeplane/engine';

const tp = await createEngine({ database: 'file:./data/tradeplane.db' }); // or ':memory:' or 'postgres://…'
const user = await tp.auth.register({ email: 'alice@example.com', password: 'correct horse battery' });
const { accessToken, refreshToken } = await tp.auth.login({ email: 'alice@example.com', password: 'correct horse battery' });
const me = await tp.auth.authenticate(accessToken); // → { via: 'session', userId, role, sessionId, … }
// Sign-up opened a default demo account holding 10,000.00 USD. Money moves take an idempotency key.
const { account } = await tp.wallets.withdraw(user.id, { amount: '25.50', currency: 'USD', idempotencyKey: crypto.randomUUID() });
console.log(account.balance, account.available); // '9974.50' '9974.50' (decimal strings, never floats)
await tp.close();
