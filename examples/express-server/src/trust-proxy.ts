import { isIP } from 'node:net';

/** What Express's `trust proxy` setting takes, as `TRUST_PROXY` can spell it. */
export type TrustProxy = boolean | number | string[];

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Reads `TRUST_PROXY` the way Express documents `trust proxy`:
 * - `true` / `false`: trust every proxy (the left-most `X-Forwarded-For` address is the client)
 *   or none;
 * - a hop count, `1`: trust that many proxies in front of the server;
 * - a comma-separated list of addresses, CIDR subnets (`10.0.0.0/8`, `fd00::/8`, or
 *   `10.0.0.0/255.0.0.0`) and the names `loopback`, `linklocal`, `uniquelocal`: trust proxies at
 *   those addresses.
 * Anything else throws, naming the part it could not read: passed to Express as a string, `true`
 * crashes every request and `1` silently trusts nothing.
 *
 * @example
 * app.set('trust proxy', parseTrustProxy(process.env.TRUST_PROXY)); // "loopback, 10.0.0.0/8"
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || /^false$/i.test(text)) return false;
  if (/^true$/i.test(text)) return true;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (!Number.isSafeInteger(hops)) throw new Error(`TRUST_PROXY=${text}: a hop count must be a small whole number`);
    return hops;
  }
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!validEntry(entry)) {
      throw new Error(
        `TRUST_PROXY: cannot read '${entry}'. Use true or false, a hop count (1), or a comma-separated list of addresses, ` +
          `CIDR subnets (10.0.0.0/8) and loopback, linklocal, uniquelocal — as Express's 'trust proxy' setting`,
      );
    }
  }
  return entries;
}

function validEntry(entry: string): boolean {
  if (NAMED.has(entry.toLowerCase())) return true;
  const [address, range, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (range === undefined) return true;
  if (/^\d+$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  // A dotted netmask (IPv4 only), its ones contiguous: 255.255.0.0.
  if (family !== 4 || isIP(range) !== 4) return false;
  const bits = range.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const inverted = 0xffffffff - bits;
  return (inverted & (inverted + 1)) === 0;
}
