import fc from 'fast-check';
import { z } from 'zod';

type Json = Record<string, unknown>;

/**
 * A fast-check arbitrary for values a JSON Schema (zod's own `toJSONSchema` of a contract
 * schema, as input) accepts. It covers the keywords the contract's schemas produce; values are
 * checked against the zod schema itself afterwards, so an approximation here costs samples,
 * never correctness.
 */
export function fromJsonSchema(schema: Json, root: Json = schema, depth = 0): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/(\$defs|definitions)\//, '');
    const defs = (root.$defs ?? root.definitions ?? {}) as Record<string, Json>;
    return fromJsonSchema(defs[name] ?? {}, root, depth + 1);
  }
  if (depth > 8) return fc.constant(null);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const choices = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (choices) return fc.oneof(...choices.map((c) => fromJsonSchema(c, root, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return fromJsonSchema(schema.allOf[0] as Json, root, depth + 1);
  const type = schema.type;
  if (Array.isArray(type)) return fc.oneof(...type.map((t) => fromJsonSchema({ ...schema, type: t }, root, depth + 1)));
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? (typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + (type === 'integer' ? 1 : 1e-9) : undefined);
      const max = (schema.maximum as number | undefined) ?? (typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - (type === 'integer' ? 1 : 1e-9) : undefined);
      if (type === 'integer') return fc.integer({ min: Math.max(min ?? -1_000_000, Number.MIN_SAFE_INTEGER), max: Math.min(max ?? 1_000_000, Number.MAX_SAFE_INTEGER) });
      return fc.double({ min: min ?? -1e6, max: max ?? 1e6, noNaN: true, noDefaultInfinity: true });
    }
    case 'string': {
      // A URL would almost never come out of random strings: the filter below would reject forever.
      if (schema.format === 'uri') return fc.webUrl({ validSchemes: ['https', 'http'] }).filter((u) => u.length <= ((schema.maxLength as number | undefined) ?? 2048));
      if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      if (typeof schema.pattern === 'string') {
        const min = (schema.minLength as number | undefined) ?? 0;
        const max = (schema.maxLength as number | undefined) ?? 64;
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= max);
      }
      return fc.string({ minLength: (schema.minLength as number | undefined) ?? 0, maxLength: Math.min((schema.maxLength as number | undefined) ?? 40, 200) });
    }
    case 'array':
      return fc.array(fromJsonSchema((schema.items as Json) ?? {}, root, depth + 1), { minLength: (schema.minItems as number | undefined) ?? 0, maxLength: Math.min((schema.maxItems as number | undefined) ?? 4, 6) });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>;
      const required = new Set((schema.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, value] of Object.entries(properties)) record[key] = fromJsonSchema(value, root, depth + 1);
      if (Object.keys(properties).length === 0 && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fromJsonSchema(schema.additionalProperties as Json, root, depth + 1), { maxKeys: 3 });
      }
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
    default:
      // Anything (an unrepresentable or open schema).
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
  }
}

/** Values a zod schema accepts as input, sampled and then checked by the schema itself. */
export function validInputs(schema: z.ZodType): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return fromJsonSchema(json).filter((v) => schema.safeParse(v).success);
}
