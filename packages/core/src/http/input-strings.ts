import type { FieldError } from '../errors.js';
import { headerValue, type HttpRequest } from './types.js';

/*
 * The input-strings stage. Every string a client sends is checked, whatever its schema says,
 * so that no route can forget: NUL and unpaired surrogates cannot be stored as text
 * (PostgreSQL refuses them) and mean nothing in any field.
 */

/** NUL, or a UTF-16 surrogate without its pair (which JSON's `\uD800` escapes can produce). */
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_TEXT_ALL = new RegExp(BAD_TEXT.source, 'g');

function badTextField(where: FieldError['in'], path: string): FieldError {
  return { in: where, path, code: 'invalid_characters', message: 'must not contain NUL characters or unpaired UTF-16 surrogates' };
}

/** Returns the `User-Agent` header (handlers see it), adding a field error when it holds NUL or an unpaired surrogate. */
export function checkUserAgent(request: HttpRequest, fields: FieldError[]): string | undefined {
  const userAgent = headerValue(request.headers, 'user-agent');
  if (userAgent !== undefined && BAD_TEXT.test(userAgent)) fields.push(badTextField('header', 'User-Agent'));
  return userAgent;
}

/**
 * Adds a field error for every string (and object key) in `value` holding NUL or an unpaired
 * surrogate. Iterative, with paths kept as parent links and spelt out only for an error: a
 * deeply nested body costs neither stack nor quadratic copies.
 */
export function checkText(value: unknown, where: FieldError['in'], fields: FieldError[]): void {
  type Node = { value: unknown; key: string; parent: Node | undefined };
  const pathOf = (node: Node | undefined, last?: string) => {
    const segments = last === undefined ? [] : [last];
    for (let n = node; n?.parent; n = n.parent) segments.push(n.key);
    return segments.reverse().map((s) => s.replace(BAD_TEXT_ALL, '\uFFFD')).join('.');
  };
  const pending: Node[] = [{ value, key: '', parent: undefined }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const current = node.value;
    if (typeof current === 'string') {
      if (BAD_TEXT.test(current)) fields.push(badTextField(where, pathOf(node)));
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push({ value: current[i], key: String(i), parent: node });
    } else if (current !== null && typeof current === 'object') {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (BAD_TEXT.test(key)) fields.push(badTextField(where, pathOf(node, key)));
        pending.push({ value: (current as Record<string, unknown>)[key], key, parent: node });
      }
    }
  }
}
