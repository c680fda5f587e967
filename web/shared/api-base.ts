/**
 * Where the API is: the page's own origin when the service hosts it; a tenant that builds and
 * hosts the page elsewhere sets VITE_SESSIONFLOW_API_URL at build time (and lists its origin in
 * SESSIONFLOW_CORS_ORIGINS, and widens its own Content-Security-Policy's connect-src).
 */
export const apiBaseUrl: string = (import.meta.env["VITE_SESSIONFLOW_API_URL"] as string | undefined) || location.origin;
