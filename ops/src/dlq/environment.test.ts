import { userInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { UsageError } from "../command.ts";
import { loadOpsEnvironment, requireActor } from "./environment.ts";

describe("loadOpsEnvironment", () => {
  it("lists every missing setting a command needs at once", () => {
    expect(() =>
      loadOpsEnvironment({}, { broker: true, orchestrator: true, database: true }),
    ).toThrow(
      /4 problem\(s\)[\s\S]*DATABASE_URL[\s\S]*AWS_ENDPOINT_URL[\s\S]*ORCHESTRATOR_URL[\s\S]*ORCHESTRATOR_API_TOKEN/,
    );
  });

  it("takes the AWS credential chain instead of an endpoint, and a dev journal folder instead of Postgres", () => {
    const env = loadOpsEnvironment(
      {
        SAGAWORKS_BROKER: "aws",
        ORCHESTRATOR_URL: "http://127.0.0.1:3000",
        ORCHESTRATOR_API_TOKEN: "0123456789abcdef",
        OPS_JOURNAL_DIR: ".pglite/ops",
        USER: "alice",
      },
      { broker: true, orchestrator: true, database: true },
    );
    expect(env).toMatchObject({
      endpoint: undefined,
      prefix: "dev",
      actor: "alice",
      journalDir: ".pglite/ops",
    });
  });

  it("records the login name when $USER is unset (a container), and asks for an actor when there is none", () => {
    const needs = { orchestrator: true };
    const base = { ORCHESTRATOR_URL: "http://o:1", ORCHESTRATOR_API_TOKEN: "0123456789abcdef" };
    expect(loadOpsEnvironment({ ...base, OPS_ACTOR: "bob", USER: "alice" }, needs).actor).toBe(
      "bob",
    );
    expect(loadOpsEnvironment({ ...base, LOGNAME: "carol" }, needs).actor).toBe("carol");
    // This process's own user id has a name in the system's user database.
    expect(loadOpsEnvironment(base, needs).actor).toBe(userInfo().username);
    expect(requireActor("dave")).toBe("dave");
    expect(() => requireActor(undefined)).toThrow(UsageError);
    expect(() => requireActor(undefined)).toThrow(/set OPS_ACTOR=<who>/);
  });

  it("asks only for what a command needs", () => {
    expect(
      loadOpsEnvironment(
        { ORCHESTRATOR_URL: "http://o:1", ORCHESTRATOR_API_TOKEN: "0123456789abcdef" },
        { orchestrator: true },
      ).orchestratorUrl,
    ).toBe("http://o:1");
    expect(() => loadOpsEnvironment({ ORCHESTRATOR_URL: "nope" }, {})).toThrow(
      /ORCHESTRATOR_URL: must be a URL/,
    );
  });
});
