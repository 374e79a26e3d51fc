// What gets built into an image and deployed. infra/ (ECR repositories, IAM roles, Helm chart),
// ops/ci (change detection, ECR push, GitOps bump), the stack and the benchmark all read this
// list, so a deployable is added in one place and cannot be known to one side only.

/** One process that ships as its own image. */
export interface Deployable {
  /** Short name: image repository suffix, Helm values key, CLI argument. */
  name: DeployableName;
  /** The workspace package whose `pnpm deploy --prod` folder becomes the image. */
  workspacePackage: string;
  /** The package's folder, relative to the repository root. */
  path: string;
  /** The port its HTTP server listens on inside the container. */
  port: number;
}

/** Names of the deployables, as a union. */
export type DeployableName = "orchestrator" | "order" | "account" | "customer";

/** Each deployable by name: a record, so that looking one up cannot miss. */
const BY_NAME: { readonly [name in DeployableName]: Deployable } = {
  orchestrator: {
    name: "orchestrator",
    workspacePackage: "@sagaworks/orchestrator",
    path: "packages/services/orchestrator",
    port: 3000,
  },
  order: {
    name: "order",
    workspacePackage: "@sagaworks/order-service",
    path: "packages/services/order",
    port: 3001,
  },
  account: {
    name: "account",
    workspacePackage: "@sagaworks/account-service",
    path: "packages/services/account",
    port: 3002,
  },
  customer: {
    name: "customer",
    workspacePackage: "@sagaworks/customer-service",
    path: "packages/services/customer",
    port: 3003,
  },
};

/** Every deployable, in start order (the orchestrator first: it owns the saga tables). */
export const DEPLOYABLES: readonly Deployable[] = [
  BY_NAME.orchestrator,
  BY_NAME.order,
  BY_NAME.account,
  BY_NAME.customer,
];

/** The deployable of this name. */
export function deployable(name: DeployableName): Deployable {
  return BY_NAME[name];
}

/**
 * A deployable's entry point relative to the repository root: what the stack and the benchmark
 * run with `node`, and what the image build bundles.
 */
export function deployableMain(name: DeployableName): string {
  return `${deployable(name).path}/src/main.ts`;
}

/** The ECR repository of a deployable: `sagaworks/<name>`. */
export function imageRepositoryName(name: DeployableName): string {
  return `sagaworks/${name}`;
}

/**
 * Settings every image repository has, applied by CDK in infra/ and checked (or created with
 * them) by `ops ci push-image`: tags are commit SHAs and never move, images are scanned on push,
 * and only the newest images are kept.
 */
export const IMAGE_REPOSITORY_SETTINGS = {
  imageTagMutability: "IMMUTABLE",
  scanOnPush: true,
  /** Images kept per repository; older ones expire through a lifecycle rule. */
  keepImages: 30,
} as const;

/**
 * Where the GitOps bump writes each deployable's image tag: in the manifests repository's
 * Helm values file (the chart in infra/helm/sagaworks has the same shape), at
 * `<name>.image.tag`.
 */
export const HELM_VALUES_FILE = "infra/helm/sagaworks/values.yaml";

/** Path of a deployable's image tag inside the Helm values, as keys. */
export function helmImageTagPath(name: DeployableName): readonly string[] {
  return [name, "image", "tag"];
}
