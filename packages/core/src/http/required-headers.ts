import type { FieldError } from '../errors.js';
import type { RouteDefinition } from '../contract/route.js';
import { headerValue, type HttpRequest } from './types.js';

/**
 * The required-headers stage of a raw-body route: each header its `rawBody.headers` names
 * (a signature's) must be present and non-empty, or a field error is added, so a request that
 * cannot carry a signature is refused before the handler runs.
 */
export function checkRequiredHeaders(route: RouteDefinition, request: HttpRequest, fields: FieldError[]): void {
  for (const name of route.rawBody?.headers ?? []) {
    if (!headerValue(request.headers, name.toLowerCase())) {
      fields.push({ in: 'header', path: name, code: 'required', message: `send the ${name} header` });
    }
  }
}
