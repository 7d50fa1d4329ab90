/**
 * @tradeplane/adapter-lambda — host a tradeplane engine on AWS Lambda behind API Gateway
 * (REST v1, HTTP API v2), a Function URL or an ALB. Every contract route, no per-route code.
 */
export { tradeplaneLambda } from './handler.js';
export type { LambdaAdapterOptions, LambdaHandler, TradeplaneHost } from './handler.js';
export { eventKind } from './events.js';
export type {
  LambdaEvent,
  LambdaResult,
  ApiGatewayV1Event,
  ApiGatewayV2Event,
  AlbEvent,
  ApiGatewayV1Result,
  ApiGatewayV2Result,
  AlbResult,
  EventKind,
} from './events.js';
