// `ops ci push-image` at the SDK boundary. No ECR emulator runs here, so aws-sdk-client-mock
// stands in for ECR (what each call sends, and each error ECR can answer) and a RecordingRunner
// stands in for docker (what would be built, logged in and pushed).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { DEPLOYABLES, type Deployable } from "@sagaworks/deployables";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordingRunner } from "../../src/ci/command-runner.ts";
import { createCiGroup } from "../../src/ci/group.ts";
import { pushImage } from "../../src/ci/image.ts";
import { ExitCode } from "../../src/command.ts";
import { runOps } from "../../src/run-ops.ts";
import { captureIo } from "../../src/testing/capture-io.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ACCOUNT = "123456789012";
const REGISTRY = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const REPOSITORY_URI = `${REGISTRY}/sagaworks/order`;
const IMAGE_URI = `${REPOSITORY_URI}:${SHA}`;
const order = DEPLOYABLES.find((d) => d.name === "order") as Deployable;
const meta = { $metadata: {} };

const ecrMock = mockClient(ECRClient);
let root: string;

beforeEach(() => {
  ecrMock.reset();
  root = mkdtempSync(join(tmpdir(), "sagaworks-push-"));
  mkdirSync(join(root, order.path), { recursive: true });
  writeFileSync(join(root, order.path, "Dockerfile"), "FROM scratch\n");
  ecrMock.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [
      {
        authorizationToken: Buffer.from("AWS:s3cret-token").toString("base64"),
        proxyEndpoint: `https://${REGISTRY}`,
      },
    ],
  });
  ecrMock.on(PutLifecyclePolicyCommand).resolves({});
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function existingRepository(overrides: Record<string, unknown> = {}) {
  ecrMock.on(DescribeRepositoriesCommand).resolves({
    repositories: [
      {
        repositoryName: "sagaworks/order",
        repositoryUri: REPOSITORY_URI,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        ...overrides,
      },
    ],
  });
  ecrMock.on(GetLifecyclePolicyCommand).resolves({ lifecyclePolicyText: "{}" });
}

function tagMissing() {
  ecrMock
    .on(DescribeImagesCommand)
    .rejects(new ImageNotFoundException({ message: "not found", ...meta }));
}

function run(runner = new RecordingRunner()) {
  const log: string[] = [];
  const promise = pushImage({
    deployable: order,
    sha: SHA,
    accountId: ACCOUNT,
    repoRoot: root,
    ecr: new ECRClient({ region: "eu-west-1" }),
    runner,
    log: (line) => log.push(line),
  });
  return { promise, runner, log };
}

const dockerCalls = (runner: RecordingRunner) =>
  runner.calls.map((c) => [c.command, ...c.args].join(" "));

describe("pushImage", () => {
  it("creates a missing repository with the shared settings, then builds, logs in and pushes", async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new RepositoryNotFoundException({ message: "no repo", ...meta }));
    ecrMock.on(CreateRepositoryCommand).resolves({ repository: { repositoryUri: REPOSITORY_URI } });
    tagMissing();
    const { promise, runner } = run();
    const result = await promise;

    expect(result).toEqual({
      deployable: "order",
      imageUri: IMAGE_URI,
      pushed: true,
      repositoryCreated: true,
      corrected: [],
    });
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)[0]?.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryNames: ["sagaworks/order"],
    });
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
      repositoryName: "sagaworks/order",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
    });
    const policy = ecrMock.commandCalls(PutLifecyclePolicyCommand)[0]?.args[0].input;
    expect(policy?.repositoryName).toBe("sagaworks/order");
    expect(JSON.parse(policy?.lifecyclePolicyText ?? "{}").rules[0]).toMatchObject({
      selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
      action: { type: "expire" },
    });
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryName: "sagaworks/order",
      imageIds: [{ imageTag: SHA }],
    });
    expect(dockerCalls(runner)).toEqual([
      `docker build --file packages/services/order/Dockerfile --tag ${IMAGE_URI} --label org.opencontainers.image.revision=${SHA} .`,
      `docker login --username AWS --password-stdin https://${REGISTRY}`,
      `docker push ${IMAGE_URI}`,
      `docker logout https://${REGISTRY}`,
    ]);
    expect(runner.calls[0]?.options.cwd).toBe(root);
    // The password goes through stdin, never on the command line.
    expect(runner.calls[1]?.options.stdin).toBe("s3cret-token");
  });

  it("skips build and push when the SHA tag is already in ECR", async () => {
    existingRepository();
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: [SHA, "other"] }] });
    const { promise, runner, log } = run();
    expect(await promise).toMatchObject({
      imageUri: IMAGE_URI,
      pushed: false,
      repositoryCreated: false,
    });
    expect(runner.calls).toEqual([]);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
    expect(ecrMock.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
    expect(log.join("\n")).toContain("already in ECR");
  });

  it("puts back immutable tags, scan on push and a missing lifecycle policy on an existing repository", async () => {
    existingRepository({
      imageTagMutability: "MUTABLE",
      imageScanningConfiguration: { scanOnPush: false },
    });
    ecrMock
      .on(GetLifecyclePolicyCommand)
      .rejects(new LifecyclePolicyNotFoundException({ message: "none", ...meta }));
    ecrMock.on(PutImageTagMutabilityCommand).resolves({});
    ecrMock.on(PutImageScanningConfigurationCommand).resolves({});
    tagMissing();
    const { promise } = run();
    expect((await promise).corrected).toEqual([
      "imageTagMutability",
      "scanOnPush",
      "lifecyclePolicy",
    ]);
    expect(ecrMock.commandCalls(PutImageTagMutabilityCommand)[0]?.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryName: "sagaworks/order",
      imageTagMutability: "IMMUTABLE",
    });
    expect(
      ecrMock.commandCalls(PutImageScanningConfigurationCommand)[0]?.args[0].input
        .imageScanningConfiguration,
    ).toEqual({ scanOnPush: true });
    expect(ecrMock.commandCalls(PutLifecyclePolicyCommand)).toHaveLength(1);
  });

  it("uses the repository another run created between describe and create", async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejectsOnce(new RepositoryNotFoundException({ message: "no repo", ...meta }))
      .resolves({ repositories: [{ repositoryUri: REPOSITORY_URI }] });
    ecrMock
      .on(CreateRepositoryCommand)
      .rejects(new RepositoryAlreadyExistsException({ message: "exists", ...meta }));
    tagMissing();
    const { promise } = run();
    expect(await promise).toMatchObject({
      imageUri: IMAGE_URI,
      pushed: true,
      repositoryCreated: true,
    });
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(2);
  });

  it("counts a push refused because another run pushed the same immutable tag meanwhile as done", async () => {
    existingRepository();
    ecrMock
      .on(DescribeImagesCommand)
      .rejectsOnce(new ImageNotFoundException({ message: "not found", ...meta }))
      .resolves({ imageDetails: [{ imageTags: [SHA] }] });
    const runner = new RecordingRunner((call) =>
      call.args[0] === "push"
        ? {
            exitCode: 1,
            stderr: `tag invalid: The image tag '${SHA}' already exists in the 'sagaworks/order' repository and cannot be overwritten because the repository is immutable.`,
          }
        : {},
    );
    const { promise, log } = run(runner);
    expect(await promise).toMatchObject({ pushed: false });
    expect(log.join("\n")).toContain("pushed by another run");
    expect(dockerCalls(runner).at(-1)).toBe(`docker logout https://${REGISTRY}`);
  });

  it("fails with docker's output when a push fails for another reason, and still logs out", async () => {
    existingRepository();
    tagMissing();
    const runner = new RecordingRunner((call) =>
      call.args[0] === "push" ? { exitCode: 1, stderr: "denied: network unreachable" } : {},
    );
    const { promise } = run(runner);
    await expect(promise).rejects.toMatchObject({
      code: "CI_IMAGE_PUSH_FAILED",
      message: expect.stringContaining("denied: network unreachable"),
    });
    expect(dockerCalls(runner).at(-1)).toBe(`docker logout https://${REGISTRY}`);
  });

  it("reports throttling that outlasted the SDK's retries, before any docker call", async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(
      new ECRServiceException({
        name: "ThrottlingException",
        $fault: "client",
        message: "Rate exceeded",
        ...meta,
      }),
    );
    const { promise, runner } = run();
    await expect(promise).rejects.toMatchObject({
      code: "CI_ECR_FAILED",
      message: expect.stringContaining("ECR throttled DescribeRepositories for sagaworks/order"),
    });
    expect(runner.calls).toEqual([]);
  });

  it("names the missing IAM permission on AccessDenied", async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new RepositoryNotFoundException({ message: "no repo", ...meta }));
    ecrMock.on(CreateRepositoryCommand).rejects(
      new ECRServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        message: "not authorized",
        ...meta,
      }),
    );
    const { promise } = run();
    await expect(promise).rejects.toThrow("the CI role needs ecr:CreateRepository");
  });

  it("refuses a deployable without a Dockerfile before calling AWS", async () => {
    rmSync(join(root, order.path, "Dockerfile"));
    const { promise } = run();
    await expect(promise).rejects.toMatchObject({ code: "CI_DOCKERFILE_MISSING" });
    expect(ecrMock.calls()).toHaveLength(0);
  });
});

describe("ops ci push-image / build-image", () => {
  const gitRoot = (recordRoot: () => string) =>
    new RecordingRunner((call) => (call.command === "git" ? { stdout: `${recordRoot()}\n` } : {}));

  it("lists every missing setting at once and exits 1", async () => {
    const captured = captureIo(root, {});
    const group = createCiGroup({ runner: () => gitRoot(() => root) });
    expect(await runOps(["ci", "push-image", "--deployable", "order"], captured.io, [group])).toBe(
      ExitCode.failure,
    );
    expect(captured.err()).toContain("missing settings:");
    for (const setting of [
      "--sha or $CIRCLE_SHA1",
      "--region or $AWS_REGION",
      "--account-id or $AWS_ACCOUNT_ID",
    ]) {
      expect(captured.err()).toContain(setting);
    }
  });

  it("exits 2 on an unknown deployable", async () => {
    const captured = captureIo(root, {});
    expect(await runOps(["ci", "push-image", "--deployable", "billing"], captured.io)).toBe(
      ExitCode.usage,
    );
    expect(captured.err()).toContain(
      'unknown deployable "billing" (one of orchestrator, order, account, customer)',
    );
  });

  it("prints the image URI on stdout, settings from the environment", async () => {
    existingRepository();
    tagMissing();
    const regions: string[] = [];
    const group = createCiGroup({
      runner: () => gitRoot(() => root),
      ecr: (region) => {
        regions.push(region);
        return new ECRClient({ region });
      },
    });
    const captured = captureIo(root, {
      CIRCLE_SHA1: SHA,
      AWS_REGION: "eu-west-1",
      AWS_ACCOUNT_ID: ACCOUNT,
    });
    expect(await runOps(["ci", "push-image", "--deployable", "order"], captured.io, [group])).toBe(
      ExitCode.ok,
    );
    expect(captured.out()).toBe(`${IMAGE_URI}\n`);
    expect(regions).toEqual(["eu-west-1"]);
  });

  it("build-image builds locally with the repository root as context and pushes nothing", async () => {
    const runner = gitRoot(() => root);
    const group = createCiGroup({ runner: () => runner });
    const captured = captureIo(root, {});
    expect(
      await runOps(
        ["ci", "build-image", "--deployable", "order", "--sha", SHA, "--json"],
        captured.io,
        [group],
      ),
    ).toBe(ExitCode.ok);
    expect(JSON.parse(captured.out())).toEqual({
      deployable: "order",
      image: `sagaworks/order:${SHA}`,
    });
    expect(dockerCalls(runner).filter((c) => c.startsWith("docker"))).toEqual([
      `docker build --file packages/services/order/Dockerfile --tag sagaworks/order:${SHA} --label org.opencontainers.image.revision=${SHA} .`,
    ]);
    expect(ecrMock.calls()).toHaveLength(0);
  });
});
