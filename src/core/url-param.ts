/**
 * Take one query parameter that is roomkit's own out of a connection URL (`?schema=` of a
 * PostgreSQL URL, `?prefix=` of a Redis URL), so one URL can say everything while the driver
 * only sees what it understands. A URL that does not parse is returned as it is.
 */
export function takeUrlParam(url: string, name: string): { url: string; value?: string } {
  if (!url.includes(`${name}=`)) return { url };
  try {
    const parsed = new URL(url);
    const value = parsed.searchParams.get(name) ?? undefined;
    parsed.searchParams.delete(name);
    return { url: parsed.toString(), value };
  } catch {
    return { url };
  }
}
