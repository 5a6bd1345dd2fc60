/**
 * No provider option is ever dropped silently. TypeScript already rejects an unknown key
 * in an object literal; this catches the rest at run time (plain JavaScript, options built
 * in a variable, a config file): every provider lists the names it knows, and the list is
 * checked against its options type, so the two cannot drift apart.
 */
import { ValidationError } from '../../core/errors.js';

/**
 * The option names of `T`, as a set. The argument must name every key of `T` and nothing
 * else (a forgotten or extra key is a type error), e.g.
 * `optionNames<GradiumSTTOptions>({ apiKey: true, modelName: true, ... })`.
 */
export function optionNames<T extends object>(
  names: { [K in keyof Required<T>]: true },
): ReadonlySet<string> {
  return new Set(Object.keys(names));
}

/**
 * Throws a ValidationError naming the provider and the first unknown option (with the
 * closest known name when one is near), so `vadTreshold: 0.9` fails loudly instead of
 * leaving the default in place. Returns the options for chaining.
 */
export function checkOptions<T extends object>(
  provider: string,
  opts: T | undefined,
  known: ReadonlySet<string>,
): T | undefined {
  if (opts === undefined) return opts;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new ValidationError(`${provider}: options must be an object`);
  }
  for (const key of Object.keys(opts)) {
    if (known.has(key)) continue;
    const near = closest(key, known);
    throw new ValidationError(
      `${provider}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; known options: ${[...known].join(', ')}`,
      undefined,
      key,
    );
  }
  return opts;
}

/** The known name within a small edit distance (typos, snake_case from the Python seed). */
function closest(key: string, known: ReadonlySet<string>): string | undefined {
  const plain = (s: string) => s.replace(/[_-]/g, '').toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const name of known) {
    const d = plain(name) === plain(key) ? 0 : distance(plain(name), plain(key));
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
