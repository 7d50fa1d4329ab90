import { createClient, RateLimitError, ValidationError } from '@tradeplane/client';

const api = createClient({ baseUrl: 'http://localhost:3000/api/v1' });
await api.auth.register({ email: 'bob@example.com', password: 'correct horse battery' });
await api.auth.login({ email: 'bob@example.com', password: 'correct horse battery' }); // tokens are stored
const me = await api.auth.me(); // typed: { id, email, username, role, status, … }
for (const session of (await api.auth.sessions()).sessions) console.log(session.device_label, session.current);
try {
  await api.auth.changePassword({ current_password: 'wrong', new_password: 'another passphrase' });
} catch (error) {
  if (error instanceof ValidationError) console.log(error.code, error.fieldErrors); // validation_failed [{ path: 'current_password', … }]
  if (error instanceof RateLimitError) console.log(`retry in ${error.retryAfter} s`);
}
await api.auth.logout();
