// Calls to /api/v1: the session cookie travels by itself; changes carry the CSRF value.
import type { SessionInfo } from "./types";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

function readCsrfCookie(): string | null {
  const match = document.cookie.match(/(?:^|;\s*)synthera_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

function csrfHeaders(): Record<string, string> {
  const token = csrfToken ?? readCsrfCookie();
  return token ? { "X-CSRF-Token": token } : {};
}

async function errorFrom(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, detail);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") Object.assign(headers, csrfHeaders());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string) => request<T>("GET", path);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body);
export const put = <T>(path: string, body?: unknown) => request<T>("PUT", path, body);
export const del = (path: string) => request<void>("DELETE", path);

export async function signIn(username: string, password: string): Promise<SessionInfo> {
  const session = await post<SessionInfo>("/auth/login", { username, password });
  setCsrfToken(session.csrf_token);
  return session;
}

/** Upload with a progress callback (fetch cannot report upload progress; XHR can). */
export function upload(
  file: File,
  fields: Record<string, string>,
  onProgress: (share: number) => void,
): Promise<{ id: string }> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file);
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/datasets`);
    for (const [key, value] of Object.entries(csrfHeaders())) xhr.setRequestHeader(key, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: { id?: string; detail?: string } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // keep the empty body
      }
      if (xhr.status === 201 && body.id) resolve({ id: body.id });
      else reject(new ApiError(xhr.status, body.detail ?? `upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new ApiError(0, "the upload was interrupted: check the connection"));
    xhr.send(form);
  });
}
