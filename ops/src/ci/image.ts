// Building a deployable's image and pushing it to ECR. The image is built with the repository
// root as context from `<deployable path>/Dockerfile`, tagged with the commit SHA, and pushed to
// `sagaworks/<name>`, a repository with immutable tags: a tag already in ECR is never pushed
// again, so re-running a pipeline is safe and cheap.
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type Repository,
} from "@aws-sdk/client-ecr";
import {
  type Deployable,
  IMAGE_REPOSITORY_SETTINGS,
  imageRepositoryName,
} from "@sagaworks/deployables";
import { type CiError, CiErrorCode, ciError } from "../errors.ts";
import { type CommandRunner, runChecked } from "./command-runner.ts";

/** A git commit SHA, abbreviated (7+) or full: the only tags the pipeline pushes. */
export const COMMIT_SHA = /^[0-9a-f]{7,40}$/;

/** The lifecycle policy a created repository gets: expire all but the newest images. */
export function lifecyclePolicyText(
  keepImages: number = IMAGE_REPOSITORY_SETTINGS.keepImages,
): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Keep the newest ${keepImages} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
        action: { type: "expire" },
      },
    ],
  });
}

/** The Dockerfile of a deployable, relative to the repository root. */
export function dockerfilePath(deployable: Deployable): string {
  return `${deployable.path}/Dockerfile`;
}

function requireDockerfile(repoRoot: string, deployable: Deployable): string {
  const relative = dockerfilePath(deployable);
  if (!existsSync(join(repoRoot, relative))) {
    throw ciError(
      CiErrorCode.dockerfileMissing,
      `${relative} does not exist: each deployable is built from <its path>/Dockerfile with the repository root as context`,
      { details: { deployable: deployable.name, dockerfile: relative } },
    );
  }
  return relative;
}

/** `docker build` arguments for a deployable: its Dockerfile, the repository root as context. */
export function dockerBuildArgs(deployable: Deployable, image: string, sha: string): string[] {
  return [
    "build",
    "--file",
    dockerfilePath(deployable),
    "--tag",
    image,
    "--label",
    `org.opencontainers.image.revision=${sha}`,
    ".",
  ];
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? "";
}

const THROTTLING = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "LimitExceededException",
]);

/** Turns an unexpected ECR error into a CiError that says what to do. */
function ecrError(operation: string, repository: string, error: unknown): CiError {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const details = { operation, repository, awsError: name };
  if (
    THROTTLING.has(name) ||
    (error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling
  ) {
    return ciError(
      CiErrorCode.ecrFailed,
      `ECR throttled ${operation} for ${repository} even after the SDK's retries (${name}); re-run the job, or push fewer images at once`,
      { details, cause: error },
    );
  }
  if (name === "AccessDeniedException" || name === "UnrecognizedClientException") {
    return ciError(
      CiErrorCode.ecrFailed,
      `not allowed to call ECR ${operation} on ${repository}: the CI role needs ecr:${operation} (${message})`,
      { details, cause: error },
    );
  }
  if (name === "CredentialsProviderError") {
    return ciError(
      CiErrorCode.ecrFailed,
      `no AWS credentials for ${operation}: set AWS_ROLE_ARN (OIDC) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the sagaworks-aws context (${message})`,
      { details, cause: error },
    );
  }
  return ciError(
    CiErrorCode.ecrFailed,
    `ECR ${operation} failed for ${repository}: ${name || "error"}: ${message}`,
    {
      details,
      cause: error,
    },
  );
}

/** What `pushImage` needs. */
export interface PushImageOptions {
  deployable: Deployable;
  /** The commit SHA, used as the image tag. */
  sha: string;
  /** The AWS account that owns the registry (ECR's registryId). */
  accountId: string;
  /** The repository root: build context, where `<path>/Dockerfile` is. */
  repoRoot: string;
  ecr: ECRClient;
  /** Runs docker. */
  runner: CommandRunner;
  /** Progress lines (stderr in the CLI). */
  log(line: string): void;
  /** The docker executable (default `docker`). */
  docker?: string;
}

/** What `pushImage` did. */
export interface PushImageResult {
  deployable: string;
  imageUri: string;
  /** True when this run pushed the image; false when the tag was already in ECR. */
  pushed: boolean;
  repositoryCreated: boolean;
  /** Repository settings this run put back to IMAGE_REPOSITORY_SETTINGS. */
  corrected: string[];
}

interface EnsuredRepository {
  uri: string;
  created: boolean;
  corrected: string[];
}

async function ensureRepository(
  options: PushImageOptions,
  name: string,
): Promise<EnsuredRepository> {
  const { ecr, accountId, log } = options;
  const describe = async (): Promise<Repository | undefined> => {
    try {
      const out = await ecr.send(
        new DescribeRepositoriesCommand({ registryId: accountId, repositoryNames: [name] }),
      );
      return out.repositories?.[0];
    } catch (error) {
      if (errorName(error) === "RepositoryNotFoundException") return undefined;
      throw ecrError("DescribeRepositories", name, error);
    }
  };

  const existing = await describe();
  if (!existing) {
    log(`repository ${name} does not exist: creating it (immutable tags, scan on push)`);
    let created: Repository | undefined;
    try {
      const out = await ecr.send(
        new CreateRepositoryCommand({
          registryId: accountId,
          repositoryName: name,
          imageTagMutability: IMAGE_REPOSITORY_SETTINGS.imageTagMutability,
          imageScanningConfiguration: { scanOnPush: IMAGE_REPOSITORY_SETTINGS.scanOnPush },
          tags: [{ Key: "managed-by", Value: "sagaworks-ci" }],
        }),
      );
      created = out.repository;
    } catch (error) {
      // Another pipeline created it between our describe and create: use theirs.
      if (errorName(error) !== "RepositoryAlreadyExistsException") {
        throw ecrError("CreateRepository", name, error);
      }
      log(`repository ${name} was created concurrently; using it`);
      created = await describe();
    }
    await putLifecyclePolicy(options, name);
    const uri = created?.repositoryUri;
    if (!uri) throw ecrError("CreateRepository", name, new Error("no repositoryUri in the answer"));
    return { uri, created: true, corrected: [] };
  }

  const corrected: string[] = [];
  if (existing.imageTagMutability !== IMAGE_REPOSITORY_SETTINGS.imageTagMutability) {
    log(`repository ${name} has ${existing.imageTagMutability} tags: making them immutable`);
    try {
      await ecr.send(
        new PutImageTagMutabilityCommand({
          registryId: accountId,
          repositoryName: name,
          imageTagMutability: IMAGE_REPOSITORY_SETTINGS.imageTagMutability,
        }),
      );
    } catch (error) {
      throw ecrError("PutImageTagMutability", name, error);
    }
    corrected.push("imageTagMutability");
  }
  if (existing.imageScanningConfiguration?.scanOnPush !== IMAGE_REPOSITORY_SETTINGS.scanOnPush) {
    log(`repository ${name} does not scan on push: turning it on`);
    try {
      await ecr.send(
        new PutImageScanningConfigurationCommand({
          registryId: accountId,
          repositoryName: name,
          imageScanningConfiguration: { scanOnPush: IMAGE_REPOSITORY_SETTINGS.scanOnPush },
        }),
      );
    } catch (error) {
      throw ecrError("PutImageScanningConfiguration", name, error);
    }
    corrected.push("scanOnPush");
  }
  try {
    await ecr.send(new GetLifecyclePolicyCommand({ registryId: accountId, repositoryName: name }));
  } catch (error) {
    if (errorName(error) !== "LifecyclePolicyNotFoundException") {
      throw ecrError("GetLifecyclePolicy", name, error);
    }
    log(
      `repository ${name} has no lifecycle policy: keeping the newest ${IMAGE_REPOSITORY_SETTINGS.keepImages} images`,
    );
    await putLifecyclePolicy(options, name);
    corrected.push("lifecyclePolicy");
  }
  if (!existing.repositoryUri) {
    throw ecrError("DescribeRepositories", name, new Error("no repositoryUri in the answer"));
  }
  return { uri: existing.repositoryUri, created: false, corrected };
}

async function putLifecyclePolicy(options: PushImageOptions, name: string): Promise<void> {
  try {
    await options.ecr.send(
      new PutLifecyclePolicyCommand({
        registryId: options.accountId,
        repositoryName: name,
        lifecyclePolicyText: lifecyclePolicyText(),
      }),
    );
  } catch (error) {
    throw ecrError("PutLifecyclePolicy", name, error);
  }
}

async function tagExists(options: PushImageOptions, name: string): Promise<boolean> {
  try {
    const out = await options.ecr.send(
      new DescribeImagesCommand({
        registryId: options.accountId,
        repositoryName: name,
        imageIds: [{ imageTag: options.sha }],
      }),
    );
    return (out.imageDetails ?? []).some((image) => image.imageTags?.includes(options.sha));
  } catch (error) {
    if (errorName(error) === "ImageNotFoundException") return false;
    throw ecrError("DescribeImages", name, error);
  }
}

async function registryLogin(
  options: PushImageOptions,
  name: string,
): Promise<{ endpoint: string; password: string }> {
  let data: { authorizationToken?: string; proxyEndpoint?: string } | undefined;
  try {
    const out = await options.ecr.send(new GetAuthorizationTokenCommand({}));
    data = out.authorizationData?.[0];
  } catch (error) {
    throw ecrError("GetAuthorizationToken", name, error);
  }
  const decoded = Buffer.from(data?.authorizationToken ?? "", "base64").toString("utf8");
  const separator = decoded.indexOf(":");
  if (!data?.proxyEndpoint || separator < 0) {
    throw ecrError("GetAuthorizationToken", name, new Error("the answer holds no usable token"));
  }
  return { endpoint: data.proxyEndpoint, password: decoded.slice(separator + 1) };
}

/**
 * Makes sure the deployable's repository exists with IMAGE_REPOSITORY_SETTINGS, then builds and
 * pushes `<repository uri>:<sha>` unless that tag is already in ECR. A push that fails because
 * another run pushed the same tag meanwhile (immutable tags refuse the second one) counts as
 * done once ECR shows the tag.
 */
export async function pushImage(options: PushImageOptions): Promise<PushImageResult> {
  const { deployable, sha, runner, log, repoRoot } = options;
  const docker = options.docker ?? "docker";
  if (!COMMIT_SHA.test(sha)) {
    throw ciError(
      CiErrorCode.settingsMissing,
      `--sha must be a commit SHA (7 to 40 hex digits), got "${sha}"`,
    );
  }
  requireDockerfile(repoRoot, deployable);
  const name = imageRepositoryName(deployable.name);
  const repository = await ensureRepository(options, name);
  const imageUri = `${repository.uri}:${sha}`;
  const base = {
    deployable: deployable.name,
    imageUri,
    repositoryCreated: repository.created,
    corrected: repository.corrected,
  };

  if (await tagExists(options, name)) {
    log(`${imageUri} is already in ECR: nothing to build or push`);
    return { ...base, pushed: false };
  }

  const login = await registryLogin(options, name);
  log(`building ${imageUri} from ${dockerfilePath(deployable)}`);
  await runChecked(runner, docker, dockerBuildArgs(deployable, imageUri, sha), { cwd: repoRoot });
  await runChecked(
    runner,
    docker,
    ["login", "--username", "AWS", "--password-stdin", login.endpoint],
    {
      stdin: login.password,
    },
  );
  try {
    log(`pushing ${imageUri}`);
    const push = await runner.run(docker, ["push", imageUri], { cwd: repoRoot });
    if (push.exitCode !== 0) {
      if (await tagExists(options, name)) {
        log(
          `${imageUri} was pushed by another run meanwhile; the tag is immutable, keeping that one`,
        );
        return { ...base, pushed: false };
      }
      const output = (push.stderr.trim() || push.stdout.trim()).split("\n").slice(-10).join("\n");
      throw ciError(
        CiErrorCode.pushFailed,
        `docker push ${imageUri} failed (exit ${push.exitCode}):\n${output}`,
        {
          details: { imageUri, exitCode: push.exitCode },
        },
      );
    }
  } finally {
    await runner.run(docker, ["logout", login.endpoint]);
  }
  return { ...base, pushed: true };
}

/** What `buildImage` needs: a local build with no registry, for branches. */
export interface BuildImageOptions {
  deployable: Deployable;
  sha: string;
  repoRoot: string;
  runner: CommandRunner;
  log(line: string): void;
  docker?: string;
}

/** Builds `sagaworks/<name>:<sha>` locally, exactly as pushImage would; returns the image name. */
export async function buildImage(options: BuildImageOptions): Promise<string> {
  const { deployable, sha } = options;
  if (!COMMIT_SHA.test(sha)) {
    throw ciError(
      CiErrorCode.settingsMissing,
      `--sha must be a commit SHA (7 to 40 hex digits), got "${sha}"`,
    );
  }
  requireDockerfile(options.repoRoot, deployable);
  const image = `${imageRepositoryName(deployable.name)}:${sha}`;
  options.log(`building ${image} from ${dockerfilePath(deployable)}`);
  await runChecked(
    options.runner,
    options.docker ?? "docker",
    dockerBuildArgs(deployable, image, sha),
    {
      cwd: options.repoRoot,
    },
  );
  return image;
}
