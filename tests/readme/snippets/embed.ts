import { createEngine } from '@tradeplane/engine';

const tp = await createEngine({ database: 'file:./data/tradeplane.db' }); // or ':memory:' or 'postgres://…'
const user = await tp.auth.register({ email: 'alice@example.com', password: 'correct horse battery' });
const { accessToken, refreshToken } = await tp.auth.login({ email: 'alice@example.com', password: 'correct horse battery' });
const me = await tp.auth.authenticate(accessToken); // → { via: 'session', userId, role, sessionId, … }
await tp.close();
