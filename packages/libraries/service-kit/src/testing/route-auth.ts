import type { ServiceApp } from "../service-app.ts";
import type { ServiceAuth } from "../service-auth.ts";

/** One request of {@link probeRouteAuth} and the status it got. */
export interface AuthProbe {
  route: string;
  credential: "none" | "wrong" | "read token";
  status: number;
}

const OPEN = /^\/(health|ready|docs|metrics)(\/|$)/;

/**
 * Sends every route of the app's OpenAPI document (except the open `/health`, `/ready`, `/docs`, `/metrics`) with no
 * credential and with a wrong one, and every write also with the read token, and returns each
 * status. Path parameters get `probe`; bodies are `{}` (the credential is checked first).
 */
export async function probeRouteAuth(app: ServiceApp, auth: ServiceAuth): Promise<AuthProbe[]> {
  await app.ready();
  const document = app.swagger() as { paths?: Record<string, Record<string, unknown>> };
  const probes: AuthProbe[] = [];
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    if (OPEN.test(path)) continue;
    const url = path.replace(/\{[^}]+\}/g, "probe");
    for (const method of Object.keys(operations)) {
      const upper = method.toUpperCase() as "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
      const credentials: [AuthProbe["credential"], string | undefined][] = [
        ["none", undefined],
        ["wrong", `Bearer ${auth.writeToken}x`],
      ];
      if (upper !== "GET" && auth.readToken) {
        credentials.push(["read token", `Bearer ${auth.readToken}`]);
      }
      for (const [credential, header] of credentials) {
        const response = await app.inject({
          method: upper,
          url,
          headers: {
            ...(header ? { authorization: header } : {}),
            ...(upper === "GET" ? {} : { "content-type": "application/json" }),
          },
          ...(upper === "GET" ? {} : { payload: "{}" }),
        });
        probes.push({ route: `${upper} ${path}`, credential, status: response.statusCode });
      }
    }
  }
  return probes;
}
