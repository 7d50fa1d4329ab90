/**
 * The Lambda event and result shapes this adapter reads and writes — only the fields it uses,
 * so there is no dependency on `@types/aws-lambda`. Field names follow AWS's documentation.
 */

type Headers = Record<string, string | undefined>;
type MultiHeaders = Record<string, string[] | undefined>;

/** API Gateway REST API (payload 1.0). */
export interface ApiGatewayV1Event {
  httpMethod: string;
  path: string;
  headers?: Headers | null;
  multiValueHeaders?: MultiHeaders | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: { requestId?: string; stage?: string; identity?: { sourceIp?: string } };
}

/** API Gateway HTTP API (payload 2.0) and Lambda Function URLs. */
export interface ApiGatewayV2Event {
  version: '2.0';
  rawPath: string;
  rawQueryString?: string;
  headers?: Headers;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { requestId?: string; stage?: string; http: { method: string; path?: string; sourceIp?: string } };
}

/** Application Load Balancer target (single- or multi-value headers). */
export interface AlbEvent {
  httpMethod: string;
  path: string;
  headers?: Headers;
  multiValueHeaders?: MultiHeaders;
  queryStringParameters?: Record<string, string | undefined>;
  multiValueQueryStringParameters?: Record<string, string[] | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: { elb: { targetGroupArn?: string } };
}

export type LambdaEvent = ApiGatewayV1Event | ApiGatewayV2Event | AlbEvent;

export interface ApiGatewayV1Result {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body?: string;
  isBase64Encoded: boolean;
}

export interface AlbResult {
  statusCode: number;
  statusDescription: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export type LambdaResult = ApiGatewayV1Result | ApiGatewayV2Result | AlbResult;

export type EventKind = 'v1' | 'v2' | 'alb';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Tells the sources apart by shape. v2 is detected strictly — `version: '2.0'` *and*
 * `requestContext.http` — because a v1 event behind a custom domain can carry `rawPath` too.
 */
export function eventKind(event: unknown): EventKind | undefined {
  if (!isObject(event) || !isObject(event.requestContext)) return undefined;
  const context = event.requestContext;
  if (event.version === '2.0' && isObject(context.http) && typeof event.rawPath === 'string') return 'v2';
  if (typeof event.httpMethod !== 'string' || typeof event.path !== 'string') return undefined;
  return isObject(context.elb) ? 'alb' : 'v1';
}
