/**
 * @tradeplane/adapter-express — mount a tradeplane engine on Express 5.
 */
export { tradeplaneExpress } from './router.js';
export type { ExpressAdapterOptions, TradeplaneHost } from './router.js';
export { attachStream, STREAM_CLOSE } from './stream.js';
export type { StreamOptions, StreamHost } from './stream.js';
