import { createEngine } from '@tradeplane/engine';
import { tradeplaneLambda } from '@tradeplane/adapter-lambda';

// The factory runs on the first invocation; the engine is reused by every invocation after it.
export const handler = tradeplaneLambda(() => createEngine({ database: process.env.DATABASE_URL!, postgres: { max: 2 } }), {
  basePath: '/api/v1', // a custom-domain base path to strip (an HTTP API stage is stripped on its own)
});
