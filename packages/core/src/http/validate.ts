import type { z } from 'zod';
import type { FieldError } from '../errors.js';
import { checkText } from './input-strings.js';

/**
 * Checks one part of the request (path, query or body) against its schema, adding a field
 * error per problem. Strings are checked first (see `input-strings.ts`): a part with bad text
 * is not parsed further. Returns the parsed value, or undefined when there were errors.
 */
export function validate(schema: z.ZodType, value: unknown, where: FieldError['in'], fields: FieldError[]): unknown {
  const before = fields.length;
  checkText(value, where, fields);
  if (fields.length > before) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        fields.push({ in: where, path: [...base, key].join('.'), code: issue.code, message: 'Unknown field' });
      }
    } else {
      fields.push({ in: where, path: base.join('.'), code: issue.code, message: issue.message });
    }
  }
  return undefined;
}
