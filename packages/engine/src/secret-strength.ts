/**
 * A rough, deliberately simple estimate of how many bits of guessing a secret string is worth:
 * the string is read left to right as symbols, where a symbol is one character, or a whole run
 * that repeats text seen earlier (`secret-secret-`) or steps through the alphabet (`abcdef`,
 * `12345`) — each at least three characters long; each symbol is worth the string's own
 * per-character (Shannon) entropy. Random secrets estimate close to their true size (32 random
 * bytes, as base64url or hex, estimate over 180 bits); repeated characters and patterns,
 * alphabet runs estimate a few dozen bits at most. Words are not recognised: a
 * passphrase of plain words can still pass, and is still a bad secret.
 */
export function estimateSecretBits(secret: string): number {
  const chars = [...secret];
  const n = chars.length;
  if (n === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const k of counts.values()) perChar -= (k / n) * Math.log2(k / n);

  let symbols = 0;
  for (let i = 0; i < n; symbols++) {
    let run = 0;
    // Text seen before (an overlapping copy counts: `abababab` is `ab` and one copy).
    for (let j = 0; j < i; j++) {
      let length = 0;
      while (i + length < n && chars[j + length] === chars[i + length]) length++;
      if (length > run) run = length;
    }
    // A run stepping through code points by a constant +1 or −1.
    const step = i + 1 < n ? chars[i + 1]!.codePointAt(0)! - chars[i]!.codePointAt(0)! : 0;
    if (step === 1 || step === -1) {
      let length = 2;
      while (i + length < n && chars[i + length]!.codePointAt(0)! - chars[i + length - 1]!.codePointAt(0)! === step) length++;
      if (length > run) run = length;
    }
    i += run >= 3 ? run : 1;
  }
  return symbols * perChar;
}

/** Below this estimate a secret is refused in production (and warned about elsewhere). */
export const MIN_SECRET_BITS = 128;
