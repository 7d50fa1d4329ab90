import { z } from 'zod';
import { errorCatalog, type ErrorCode } from '../errors.js';

/** An ISO 8601 UTC timestamp on the wire. */
export const timestamp = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 timestamp (UTC)' });

/** The query of a newest-first, keyset-paged list (spread into the route's `query`). */
export const pageQuery = {
  cursor: z.string().min(1).max(64).optional().meta({ description: 'The `next_cursor` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const fieldErrorSchema = z.object({
  in: z.enum(['body', 'query', 'path', 'header']),
  path: z.string(),
  code: z.string(),
  message: z.string(),
});

/** RFC 9457 problem details, as every non-2xx response carries. */
export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'URI identifying the problem type: urn:tradeplane:problem:<code>' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(errorCatalog) as [ErrorCode, ...ErrorCode[]]),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(fieldErrorSchema).optional(),
    // Extension members (RFC 9457) of `plan_limit`: what the caller's plan refused.
    entitlement: z.string().optional().meta({ description: '`plan_limit`: the entitlement that refused the request (`maxBots`, `realMoneyTrading`, …)' }),
    limit: z.union([z.number().int(), z.boolean()]).optional().meta({ description: '`plan_limit`: the plan’s limit (a count, or `false` for a feature the plan does not include)' }),
    plan: z.string().optional().meta({ description: '`plan_limit`: the caller’s plan' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** An Idempotency-Key: 1–255 printable ASCII characters (a UUID is the usual choice). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
