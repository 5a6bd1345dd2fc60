/**
 * Provider options arrive in our camelCase or in the Python seed's snake_case (configs get
 * ported); this reads either spelling, so each provider documents one name and accepts both.
 */
export function option<T = unknown>(
  config: Record<string, unknown> | undefined,
  camelName: string,
): T | undefined {
  if (!config) return undefined;
  if (camelName in config) return config[camelName] as T;
  const snake = camelName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return config[snake] as T | undefined;
}

/** Whether the option is present at all (null counts: it means "turn off"). */
export function hasOption(config: Record<string, unknown> | undefined, camelName: string): boolean {
  if (!config) return false;
  const snake = camelName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return camelName in config || snake in config;
}

/** Drops undefined values so wire objects carry only what was set. */
export function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) if (value !== undefined) out[key] = value;
  return out as Partial<T>;
}
