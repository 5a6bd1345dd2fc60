// The server's JSON API, with the console's token. A 401 means the token is not (or no
// longer) valid: the page says so instead of failing silently.
import { forgetToken } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function createApi(token) {
  return async function api(path, init = {}) {
    const headers = {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    let res;
    try {
      res = await fetch(`/api${path}`, { ...init, headers });
    } catch {
      throw new ApiError(0, 'unreachable', 'the server cannot be reached');
    }
    const body = await res.json().catch(() => ({}));
    if (res.status === 401) {
      forgetToken();
      throw new ApiError(
        401,
        'unauthorized',
        token
          ? 'this token is not valid (any more): open the URL roomkit serve printed'
          : 'this console needs a token: open the URL roomkit serve printed',
      );
    }
    if (!res.ok) throw new ApiError(res.status, body.code ?? 'error', body.error ?? res.statusText);
    return body;
  };
}
