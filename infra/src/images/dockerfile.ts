import type { Deployable } from "@sagaworks/deployables";

/** The Node base image of every deployable, pinned to an exact release. */
export const NODE_BASE_IMAGE = "node:24.11.1-bookworm-slim";
/** The pnpm release the build stage installs: package.json's packageManager. */
export const PNPM_VERSION = "10.34.9";

/** The environment variable that holds a deployable's HTTP port, and its bind address. */
function listenVariables(deployable: Deployable): { port: string; host: string } {
  return deployable.name === "orchestrator"
    ? { port: "ORCHESTRATOR_PORT", host: "ORCHESTRATOR_HOST" }
    : { port: "PORT", host: "HOST" };
}

/**
 * The Dockerfile of a deployable, built with the repository root as context. Two stages: the
 * build stage installs the workspace and runs `build-main.ts` (pnpm deploy --prod + bundle, the
 * folder the infra tests start with plain Node); the runtime stage is that folder alone, run as
 * the unprivileged `node` user, with `node` itself as PID 1's command so SIGTERM reaches the
 * service. Each `<path>/Dockerfile` must equal this output (a test checks it).
 */
export function renderDockerfile(deployable: Deployable): string {
  const { port, host } = listenVariables(deployable);
  const extraEnv =
    deployable.name === "orchestrator" ? "\n    SAGA_DEFINITIONS_DIR=/app/saga-definitions \\" : "";
  return `# syntax=docker/dockerfile:1
# The ${deployable.name} image. Generated from infra/src/images/dockerfile.ts; change it there.
# Build from the repository root:  docker build -f ${deployable.path}/Dockerfile .

FROM ${NODE_BASE_IMAGE} AS build
WORKDIR /repo
RUN npm install --global pnpm@${PNPM_VERSION}
COPY . .
RUN pnpm install --frozen-lockfile
# pnpm deploy --prod (no emulator, no PGlite) + the workspace code bundled into dist/main.js.
RUN node infra/src/images/build-main.ts ${deployable.name} /out

FROM ${NODE_BASE_IMAGE} AS runtime
ENV NODE_ENV=production \\${extraEnv}
    ${host}=0.0.0.0 \\
    ${port}=${deployable.port}
WORKDIR /app
COPY --from=build --chown=node:node /out /app
USER node
EXPOSE ${deployable.port}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \\
  CMD ["node", "-e", "fetch('http://127.0.0.1:${deployable.port}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly, not npm or pnpm: SIGTERM must reach the service, which stops within 3 s.
CMD ["node", "dist/main.js"]
`;
}
