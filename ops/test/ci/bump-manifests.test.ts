// `ops ci bump-manifests` against a local bare git repository standing in for the manifests
// repository and a local HTTP server standing in for GitHub's REST API (no GitHub here): what
// is committed and pushed, which requests reach the API, and that a second run changes nothing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HELM_VALUES_FILE } from "@sagaworks/deployables";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/command.ts";
import { runOps } from "../../src/run-ops.ts";
import { captureIo } from "../../src/testing/capture-io.ts";
import { GIT_ENV, git } from "./workspace-fixture.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const BRANCH = `deploy/${SHA}`;
const VALUES = `# Sagaworks chart values, per environment.
orchestrator:
  image:
    repository: sagaworks/orchestrator
    tag: "aaaaaaa"   # bumped by CI
order:
  image:
    # the commit the image was built from
    tag: bbbbbbb
    repository: sagaworks/order
account:
  image: { repository: sagaworks/account, tag: ccccccc }
customer:
  image:
    repository: sagaworks/customer
    tag: ddddddd
`;

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

/** A stand-in for the pull request endpoints of GitHub's REST API. */
class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly pulls: { number: number; head: string; base: string; title: string; state: string }[] =
    [];
  /** Answers the next create with 422 after recording the PR, as if another run won the race. */
  raceNextCreate = false;
  /** Answers every request with this status (e.g. 401) when set. */
  failWith: number | undefined;
  private server: Server | undefined;
  url = "";

  private readonly bareRepo: string;

  constructor(bareRepo: string) {
    this.bareRepo = bareRepo;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private pullJson(pull: (typeof this.pulls)[number]) {
    return {
      number: pull.number,
      html_url: `https://github.example/acme/manifests/pull/${pull.number}`,
      state: pull.state,
      title: pull.title,
      head: { ref: pull.head },
      base: { ref: pull.base },
    };
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "/", "http://localhost");
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      body,
    });
    if (this.failWith) return [this.failWith, { message: "Bad credentials" }];
    if (url.pathname !== "/repos/acme/manifests/pulls") return [404, { message: "Not Found" }];
    if (req.method === "GET") {
      const head = url.searchParams.get("head");
      const found = this.pulls.filter(
        (pull) =>
          pull.state === url.searchParams.get("state") &&
          `acme:${pull.head}` === head &&
          pull.base === url.searchParams.get("base"),
      );
      return [200, found.map((pull) => this.pullJson(pull))];
    }
    const head = String(body?.head);
    // Like GitHub: the head branch must exist in the repository.
    if (git(this.bareRepo, "branch", "--list", head).trim() === "") {
      return [422, { message: "Validation Failed", errors: [{ field: "head", code: "invalid" }] }];
    }
    const pull = {
      number: this.pulls.length + 1,
      head,
      base: String(body?.base),
      title: String(body?.title),
      state: "open",
    };
    this.pulls.push(pull);
    if (this.raceNextCreate) {
      this.raceNextCreate = false;
      return [422, { message: `A pull request already exists for acme:${head}` }];
    }
    return [201, this.pullJson(pull)];
  }
}

let dir: string;
let bare: string;
let github: FakeGitHub;

function seedManifests(): void {
  bare = join(dir, "manifests.git");
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  const seed = join(dir, "seed");
  // A fresh repository pushed to the empty bare one, not a clone of it: cloning an empty
  // repository warns on stderr even with --quiet.
  git(dir, "init", "--quiet", "--initial-branch=main", seed);
  git(seed, "remote", "add", "origin", bare);
  mkdirSync(join(seed, "infra/helm/sagaworks"), { recursive: true });
  writeFileSync(join(seed, HELM_VALUES_FILE), VALUES);
  writeFileSync(join(seed, "README.md"), "# manifests\n");
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "--message", "chart values");
  git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "sagaworks-bump-"));
  seedManifests();
  github = new FakeGitHub(bare);
  await github.start();
});
afterEach(async () => {
  await github.stop();
  rmSync(dir, { recursive: true, force: true });
});

function env(overrides: Record<string, string | undefined> = {}) {
  return {
    ...process.env,
    GIT_CONFIG_GLOBAL: GIT_ENV.GIT_CONFIG_GLOBAL,
    GIT_CONFIG_NOSYSTEM: GIT_ENV.GIT_CONFIG_NOSYSTEM,
    CIRCLE_SHA1: SHA,
    MANIFESTS_REPO: "acme/manifests",
    MANIFESTS_REPO_URL: bare,
    GITHUB_TOKEN: "test-token",
    GITHUB_API_URL: github.url,
    ...overrides,
  };
}

async function bump(
  deployables = "order,account",
  overrides: Record<string, string | undefined> = {},
) {
  const captured = captureIo(dir, env(overrides));
  const status = await runOps(["ci", "bump-manifests", "--deployables", deployables], captured.io);
  return { status, out: captured.out(), err: captured.err() };
}

const branchTip = () => git(bare, "rev-parse", `refs/heads/${BRANCH}`).trim();

describe("ops ci bump-manifests", () => {
  it("commits the new tags on deploy/<sha>, pushes it and opens a pull request", async () => {
    const result = await bump();
    expect(result.err).not.toContain("ops ci:");
    expect(result.status).toBe(ExitCode.ok);
    expect(result.out).toBe("https://github.example/acme/manifests/pull/1\n");

    // Only the two tag values changed; comments, order and the flow map are as they were.
    const diff = git(bare, "diff", "--unified=0", "main", BRANCH);
    const changedLines = diff.split("\n").filter((line) => /^[-+] /.test(line));
    expect(changedLines).toEqual([
      "-    tag: bbbbbbb",
      `+    tag: ${SHA}`,
      "-  image: { repository: sagaworks/account, tag: ccccccc }",
      `+  image: { repository: sagaworks/account, tag: ${SHA} }`,
    ]);
    expect(git(bare, "log", "-1", "--format=%s%n%an", BRANCH)).toBe(
      "Deploy 0123456789ab: order, account\nSagaworks CI\n",
    );

    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /repos/acme/manifests/pulls",
      "POST /repos/acme/manifests/pulls",
    ]);
    const [list, create] = github.requests;
    expect(list?.query).toMatchObject({ state: "open", head: `acme:${BRANCH}`, base: "main" });
    expect(create?.body).toMatchObject({
      head: BRANCH,
      base: "main",
      title: "Deploy 0123456789ab: order, account",
    });
    expect(String(create?.body?.body)).toContain(`- order: \`${SHA}\``);
    expect(create?.authorization).toBe("token test-token");
  });

  it("is idempotent: a second run for the same SHA commits nothing and finds the open pull request", async () => {
    expect((await bump()).status).toBe(ExitCode.ok);
    const tip = branchTip();
    github.requests.length = 0;

    const again = await bump("account,order", {});
    expect(again.status).toBe(ExitCode.ok);
    expect(again.out).toBe("https://github.example/acme/manifests/pull/1\n");
    expect(again.err).toContain("no new commit");
    expect(branchTip()).toBe(tip);
    expect(github.requests.map((r) => r.method)).toEqual(["GET"]);
    expect(github.pulls).toHaveLength(1);
  });

  it("adds a later deployable of the same SHA to the open pull request's branch", async () => {
    await bump("order");
    const first = branchTip();
    const result = await bump("order,customer", {});
    expect(result.status).toBe(ExitCode.ok);
    expect(git(bare, "rev-parse", `${branchTip()}~1`).trim()).toBe(first);
    expect(git(bare, "show", `${BRANCH}:${HELM_VALUES_FILE}`)).toContain(
      `repository: sagaworks/customer\n    tag: ${SHA}\n`,
    );
    expect(git(bare, "log", "-1", "--format=%s", BRANCH)).toBe("Deploy 0123456789ab: customer\n");
    expect(github.pulls).toHaveLength(1);
  });

  it("does nothing when the base branch already deploys the SHA", async () => {
    const seed = join(dir, "seed");
    writeFileSync(join(seed, HELM_VALUES_FILE), VALUES.replace("tag: bbbbbbb", `tag: ${SHA}`));
    git(seed, "commit", "--quiet", "--all", "--message", "deployed by hand");
    git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");

    const result = await bump("order");
    expect(result.status).toBe(ExitCode.ok);
    expect(result.out).toBe("nothing to deploy: the base branch has these tags\n");
    expect(git(bare, "branch", "--list", BRANCH).trim()).toBe("");
    expect(github.requests).toEqual([]);
  });

  it("uses the pull request another run opened between its list and create", async () => {
    github.raceNextCreate = true;
    const result = await bump();
    expect(result.status).toBe(ExitCode.ok);
    expect(result.out).toBe("https://github.example/acme/manifests/pull/1\n");
    expect(github.requests.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
  });

  it("explains a rejected token and exits 1", async () => {
    github.failWith = 401;
    const result = await bump();
    expect(result.status).toBe(ExitCode.failure);
    expect(result.err).toContain("GITHUB_TOKEN is missing, expired or revoked");
    expect(result.err).toContain("[CI_GITHUB_FAILED]");
  });

  it("lists every missing setting at once, and refuses an unknown deployable with exit 2", async () => {
    const missing = await bump("order", {
      CIRCLE_SHA1: undefined,
      MANIFESTS_REPO: undefined,
      GITHUB_TOKEN: undefined,
    });
    expect(missing.status).toBe(ExitCode.failure);
    for (const setting of ["--sha or $CIRCLE_SHA1", "$MANIFESTS_REPO", "$GITHUB_TOKEN"]) {
      expect(missing.err).toContain(setting);
    }
    const unknown = await bump("order,billing");
    expect(unknown.status).toBe(ExitCode.usage);
    expect(unknown.err).toContain("unknown deployable(s) billing");
  });

  it("fails clearly when the values file lacks a deployable's tag", async () => {
    const seed = join(dir, "seed");
    writeFileSync(
      join(seed, HELM_VALUES_FILE),
      "order:\n  image:\n    repository: sagaworks/order\n",
    );
    git(seed, "commit", "--quiet", "--all", "--message", "broken values");
    git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");
    const result = await bump("order");
    expect(result.status).toBe(ExitCode.failure);
    expect(result.err).toContain(`${HELM_VALUES_FILE} has no image tag at order.image.tag`);
  });
});
