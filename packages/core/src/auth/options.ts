import { z } from 'zod';

/** Auth configuration, validated by `createEngine`. Durations are in seconds. */
export const authOptionsSchema = z.strictObject({
  /** HS256 signing secret, at least 32 characters. Required in production. */
  jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  issuer: z.string().min(1).default('tradeplane'),
  audience: z.string().min(1).default('tradeplane'),
  accessTokenTtl: z.number().int().positive().default(15 * 60),
  refreshTokenTtl: z.number().int().positive().default(7 * 24 * 60 * 60),
  passwordHashing: z
    .strictObject({
      memoryCost: z.number().int().min(1024).default(19_456),
      timeCost: z.number().int().min(1).default(2),
      parallelism: z.number().int().min(1).default(1),
    })
    .prefault({}),
});

export type AuthOptionsInput = z.input<typeof authOptionsSchema>;
export type AuthOptions = z.output<typeof authOptionsSchema> & { jwtSecret: string };
