// The console's credential. `roomkit serve` prints the console URL with `?token=`: the token
// is kept in this browser (localStorage, this origin only) and removed from the address bar
// so it does not end up in bookmarks, screenshots or shared links.
const KEY = 'roomkit.token';

export function takeToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    localStorage.setItem(KEY, fromUrl);
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
    return fromUrl;
  }
  return localStorage.getItem(KEY) ?? '';
}

export function forgetToken() {
  localStorage.removeItem(KEY);
}
