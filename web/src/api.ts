// The REST API (/api/v1) as the application uses it: the session cookie goes
// with every request; state-changing requests carry the session's CSRF token.
// The server decides who may do what; the application only hides what the
// server would refuse.

export interface Me {
  actor: string;
  role: string;
  permissions: string[];
  csrf_token?: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: { signal?: AbortSignal; raw?: Blob | File; contentType?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (options.raw) {
    payload = options.raw;
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: options.signal });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const err = json?.error ?? {};
    if (res.status === 401 && path !== '/api/v1/sessions') onSignedOut();
    throw new ApiError(res.status, err.code ?? String(res.status), err.message ?? res.statusText, err.field);
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, { signal });
export const post = <T>(path: string, body: unknown, signal?: AbortSignal) => request<T>('POST', path, body, { signal });

export async function signIn(name: string, password: string): Promise<Me> {
  const r = await request<Me & { user: string }>('POST', '/api/v1/sessions', { name, password });
  setCsrfToken(r.csrf_token);
  return { actor: 'user:' + r.user, role: r.role, permissions: r.permissions, csrf_token: r.csrf_token };
}

export async function currentUser(): Promise<Me | null> {
  try {
    const me = await get<Me>('/api/v1/me');
    setCsrfToken(me.csrf_token);
    return me;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function signOut(): Promise<void> {
  try {
    await request('DELETE', '/api/v1/sessions');
  } finally {
    setCsrfToken('');
  }
}

export const can = (me: Me | null, permission: string) => !!me && me.permissions.includes(permission);
