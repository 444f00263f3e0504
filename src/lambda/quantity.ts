// Kubernetes resource quantities ("500m", "1Gi", "2", 1) as numbers, and exactly in billionths to
// compare a request with its limit. The CRD already checks their syntax; this only orders them.
const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The quantity's value in base units, or undefined when it is not a quantity. */
export function quantityValue(quantity: number | string): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  return Number(number) * (exponent ? 10 ** Number(exponent.slice(1)) : SUFFIXES[suffix ?? '']!);
}

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIXES: Record<number, string> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const NANO = 10n ** 9n;

/** The quantity in billionths, rounded up as the API server rounds anything finer. */
function nanos(number: string, multiplier: bigint, divisor: bigint): bigint {
  const negative = number.startsWith('-');
  const unsigned = number.replace(/^[+-]/, '');
  const [whole = '', fraction = ''] = unsigned.split('.');
  const numerator = BigInt(`${whole}${fraction}` || '0') * multiplier * NANO;
  const denominator = divisor * 10n ** BigInt(fraction.length);
  const value = numerator / denominator + (numerator % denominator === 0n ? 0n : 1n);
  return negative ? -value : value;
}

function decimalForm(value: bigint, exponentForm: boolean): string {
  if (value === 0n) return '0';
  for (let exponent = 18; exponent >= -9; exponent -= 3) {
    const unit = 10n ** BigInt(exponent + 9);
    if (value % unit === 0n) {
      const mantissa = value / unit;
      if (exponentForm) return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
      return `${mantissa}${DECIMAL_SUFFIXES[exponent]}`;
    }
  }
  return `${value}n`;
}

/** Beyond this power of ten a quantity is not held exactly (a value such as 1e999999999 would take forever). */
const MAX_EXACT_POWER = 64;

/**
 * The quantity in billionths of its unit, rounded up as the API server rounds anything finer, so
 * two quantities compare as the API server compares them: `700m` is `0.7` exactly (as floating
 * point numbers it is above). Undefined when it is not a quantity, or its exponent is past 64.
 */
export function quantityNanos(quantity: number | string): bigint | undefined {
  const text = typeof quantity === 'number' ? String(quantity) : quantity.trim();
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number, exponent, suffix = ''] = match;
  const binary = exponent ? -1 : BINARY_SUFFIXES.indexOf(suffix);
  const power = exponent
    ? Number(exponent.slice(1))
    : binary > 0
      ? 0
      : Number(Object.entries(DECIMAL_SUFFIXES).find(([, s]) => s === suffix)![0]);
  if (Math.abs(power) > MAX_EXACT_POWER) return undefined;
  const scale = binary > 0 ? 1024n ** BigInt(binary) : 1n;
  return power >= 0
    ? nanos(number!, scale * 10n ** BigInt(power), 1n)
    : nanos(number!, scale, 10n ** BigInt(-power));
}

/**
 * The quantity as the API server stores it (resource.Quantity's canonical form): `0.5` is
 * `500m`, `0.5Gi` is `512Mi`, `1024Mi` is `1Gi`, `1000` is `1k`. Rendering that form means an
 * apply sends what a read returns, so a Deployment is not rewritten on every sync. Undefined
 * when `quantity` is not a quantity.
 */
export function canonicalQuantity(quantity: number | string): string | undefined {
  const text = typeof quantity === 'number' ? String(quantity) : quantity.trim();
  const match = QUANTITY.exec(text);
  if (!match || !Number.isFinite(Number(match[1]))) return undefined;
  const [, number, exponent, suffix = ''] = match;
  if (exponent) {
    const power = Number(exponent.slice(1));
    const [multiplier, divisor] =
      power >= 0 ? [10n ** BigInt(power), 1n] : [1n, 10n ** BigInt(-power)];
    return decimalForm(nanos(number!, multiplier, divisor), true);
  }
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (binary > 0) {
    const value = nanos(number!, 1024n ** BigInt(binary), 1n);
    const magnitude = value < 0n ? -value : value;
    if (magnitude >= 1024n * NANO && value % NANO === 0n) {
      let bytes = value / NANO;
      let step = 0;
      while (step < BINARY_SUFFIXES.length - 1 && bytes % 1024n === 0n) {
        bytes /= 1024n;
        step += 1;
      }
      return `${bytes}${BINARY_SUFFIXES[step]}`;
    }
    return decimalForm(value, false);
  }
  const power = Object.entries(DECIMAL_SUFFIXES).find(([, s]) => s === suffix)![0];
  const p = Number(power);
  const [multiplier, divisor] = p >= 0 ? [10n ** BigInt(p), 1n] : [1n, 10n ** BigInt(-p)];
  return decimalForm(nanos(number!, multiplier, divisor), false);
}
