// The import rules the layout promises, checked by `npm run lint` (`npm run imports` alone):
// no import circles, and the floors of the tree only import downwards — libraries from
// libraries, services from libraries, tools and the operator's CLIs from anything below them.
// Type-only imports count: a circle of types is still two modules that cannot be read apart.
// Tests and benchmarks may reach across (a library's test may start the whole system), so the
// floor rules skip them; a package's published `testing` entry is held to its floor like the rest.
const tests = "(\\.test\\.tsx?$|/test/|/bench/|/e2e/|^test-support/)";

/**
 * A floor rule: production sources under `from` (tests aside, and `also` exempt) must not
 * import what `to` matches.
 */
const floor = (name, comment, from, to, also = "") => ({
  name,
  severity: "error",
  comment,
  from: { path: from, pathNot: also ? `${tests}|${also}` : tests },
  to: { path: to.path, ...(to.not ? { pathNot: to.not } : {}) },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Two modules that import each other, directly or round a longer circle.",
      from: {},
      to: { circular: true },
    },
    floor(
      "libraries-import-libraries",
      "A library is what services and tools build on; it must not reach up into a deployable service, a developer tool or the operator's CLIs.",
      "^packages/libraries/",
      { path: "^(packages/(services|tools)|ops|infra)/" },
    ),
    floor(
      "services-import-libraries",
      "A deployable service is built from libraries only: a tool or the operator's CLI in its import graph would ship in its image.",
      "^packages/services/",
      { path: "^(packages/tools|ops|infra)/" },
    ),
    floor(
      "operators-tools-import-libraries",
      "The operator's CLI and the infrastructure code run against a deployment; they reach the services over their APIs and the broker, never by importing them.",
      "^(ops|infra)/",
      { path: "^packages/(services|tools)/" },
    ),
    // The inspector's API-type generator reads the orchestrator's API document at build time.
    floor(
      "one-service-not-another",
      "Services talk over messages and HTTP, never through each other's code; the orchestrator serves the inspector's built UI, which it finds by path, not by import.",
      "^packages/services/([^/]+)/",
      { path: "^packages/services/", not: "^packages/services/$1/" },
      "^packages/services/inspector/src/write-api-types\\.ts$",
    ),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.tools)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Workspace packages resolve through their symlinks to the source their `exports` name.
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "types", "default"],
      extensions: [".ts", ".tsx", ".mts", ".js", ".mjs"],
    },
  },
};
