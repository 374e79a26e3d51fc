import {
  DEPLOYABLES,
  IMAGE_REPOSITORY_SETTINGS,
  imageRepositoryName,
} from "@sagaworks/deployables";
import { deriveTopology, QueueRole, type Topology } from "@sagaworks/topology";
import { App, Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { type SagaArchiveProps, SagaworksStack } from "../src/sagaworks-stack.ts";
import { loadStackInput } from "../src/stack-input.ts";
import { topologyDrift } from "../src/topology-drift.ts";

function synth(topology: Topology): Template {
  const app = new App();
  const stack = new SagaworksStack(app, "test", { topology, deployables: DEPLOYABLES });
  return Template.fromStack(stack);
}

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type)) as Resource[];

let topology: Topology;
let template: Template;
beforeAll(async () => {
  // The same input the CDK app reads, with an event subscriber so subscriptions are covered.
  ({ topology } = await loadStackInput({
    SAGAWORKS_ENV_PREFIX: "prod",
    MAX_RECEIVE_COUNT: "6",
    SAGAWORKS_EVENT_SUBSCRIBERS: "billing",
  }));
  template = synth(topology);
}, 60_000);

describe("the CDK stack", () => {
  it("has exactly the topology's queues, each with SSE, and the working queues their DLQ and maxReceiveCount", () => {
    expect(topologyDrift(template.toJSON(), topology)).toEqual([]);
    const queues = resourcesOf(template, "AWS::SQS::Queue");
    expect(queues.map((q) => q.Properties.QueueName).sort()).toEqual(
      topology.queues.map((q) => q.name).sort(),
    );
    for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "prod-order-commands",
      RedrivePolicy: {
        deadLetterTargetArn: Match.anyValue(),
        maxReceiveCount: 6,
      },
      VisibilityTimeout: 30,
    });
  });

  it("fails the drift check when the topology and the stack disagree", () => {
    const changed = deriveTopology({
      prefix: "prod",
      participants: ["order", "account", "shipping"],
      maxReceiveCount: 3,
      eventSubscribers: [{ name: "billing" }],
    });
    const drift = topologyDrift(template.toJSON(), changed);
    expect(drift).toContain("queue prod-shipping-commands is in the topology, not in the stack");
    expect(drift).toContain(
      "queue prod-order-commands: maxReceiveCount is 6 in the stack, 3 in the topology",
    );
  });

  it("encrypts the events topic with a rotated key and subscribes the event readers", () => {
    template.resourceCountIs("AWS::SNS::Topic", 2);
    template.hasResourceProperties("AWS::SNS::Topic", {
      TopicName: "prod-saga-events",
      KmsMasterKeyId: Match.anyValue(),
    });
    // Where other systems publish the events sagas wait for (await steps).
    template.hasResourceProperties("AWS::SNS::Topic", {
      TopicName: "prod-outside-events",
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "sqs",
      RawMessageDelivery: true,
    });
    template.resourceCountIs("AWS::SNS::Subscription", topology.subscriptions.length);
  });

  it("alarms on every DLQ's depth and every working queue's oldest message", () => {
    const alarms = resourcesOf(template, "AWS::CloudWatch::Alarm").map((a) => a.Properties);
    const dlqs = topology.queues.filter((q) => q.role === QueueRole.deadLetter);
    const working = topology.queues.filter((q) => q.role !== QueueRole.deadLetter);
    expect(
      alarms
        .filter((a) => a.MetricName === "ApproximateNumberOfMessagesVisible")
        .map((a) => a.AlarmName),
    ).toEqual(dlqs.map((q) => `${q.name}-depth`));
    expect(
      alarms
        .filter((a) => a.MetricName === "ApproximateAgeOfOldestMessage")
        .map((a) => a.AlarmName),
    ).toEqual(working.map((q) => `${q.name}-oldest-message`));
  });

  it("has an image repository per deployable: scan on push, immutable tags, a lifecycle rule", () => {
    const repositories = resourcesOf(template, "AWS::ECR::Repository").map((r) => r.Properties);
    expect(repositories.map((r) => r.RepositoryName)).toEqual(
      DEPLOYABLES.map((d) => imageRepositoryName(d.name)),
    );
    for (const repository of repositories) {
      expect(repository.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
      expect(repository.ImageTagMutability).toBe(IMAGE_REPOSITORY_SETTINGS.imageTagMutability);
      const rules = JSON.parse(
        (repository.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText,
      ) as { rules: { selection: { countType: string; countNumber: number } }[] };
      expect(rules.rules[0]?.selection).toMatchObject({
        countType: "imageCountMoreThan",
        countNumber: IMAGE_REPOSITORY_SETTINGS.keepImages,
      });
    }
  });

  it("gives each deployable one role, with no wildcard in any action or resource", () => {
    const roles = resourcesOf(template, "AWS::IAM::Role").map((r) => r.Properties.RoleName);
    expect(roles).toEqual(DEPLOYABLES.map((d) => `prod-sagaworks-${d.name}`));
    const policies = resourcesOf(template, "AWS::IAM::Policy");
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) {
      const document = policy.Properties.PolicyDocument as { Statement: Statement[] };
      for (const statement of document.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
        for (const resource of [statement.Resource].flat()) {
          // The one wildcard: the archive's key prefix (every pruned batch is a new key).
          if (JSON.stringify(resource) === JSON.stringify(archiveObjects())) continue;
          expect(JSON.stringify(resource)).not.toMatch(/"\*"|:\*"|\/\*"/);
        }
      }
    }
  });

  it("grants each role only what its process uses", () => {
    const grants = grantsByRole(template);
    expect(grants.order).toEqual({
      "prod-order-commands": [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
      ],
      "prod-saga-replies": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
    });
    expect(grants.account?.["prod-account-commands"]).toContain("sqs:ReceiveMessage");
    expect(grants.account?.["prod-order-commands"]).toBeUndefined();
    expect(grants.orchestrator?.["prod-saga-replies"]).toContain("sqs:ReceiveMessage");
    expect(grants.orchestrator?.["prod-orchestrator-outside-events"]).toContain(
      "sqs:ReceiveMessage",
    );
    // The orchestrator's own command queue: sub-saga steps start and compensate children there.
    expect(grants.orchestrator?.["prod-sagas-commands"]).toEqual(
      expect.arrayContaining(["sqs:ReceiveMessage", "sqs:SendMessage"]),
    );
    expect(grants.orchestrator?.["prod-order-commands"]).toEqual([
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:SendMessage",
    ]);
    expect(grants.orchestrator?.["prod-saga-events"]).toEqual([
      "sns:GetTopicAttributes",
      "sns:Publish",
    ]);
    for (const actions of Object.values(grants).flatMap((g) => Object.values(g))) {
      expect(actions).not.toContain("sqs:CreateQueue");
      expect(actions).not.toContain("sns:Subscribe");
    }
    expect(grants.customer).toBeUndefined();
  });
});

describe("the saga archive bucket", () => {
  it("is encrypted, never public, TLS only, versioned, kept when the stack goes", () => {
    template.resourceCountIs("AWS::S3::Bucket", 1);
    template.hasResource("AWS::S3::Bucket", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        VersioningConfiguration: { Status: "Enabled" },
      },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("moves objects to Glacier after 30 days and deletes them after 7 years", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: "Enabled",
            Prefix: "sagas/",
            ExpirationInDays: 2557,
            Transitions: [{ StorageClass: "GLACIER_IR", TransitionInDays: 30 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ],
      },
    });
  });

  it("lets the orchestrator put and get objects under its prefix, and no other role touch it", () => {
    const statements = resourcesOf(template, "AWS::IAM::Policy").flatMap((policy) =>
      (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map(
        (statement) => ({ roles: policy.Properties.Roles, statement }),
      ),
    );
    const s3 = statements.filter(({ statement }) =>
      [statement.Action].flat().some((action) => action.startsWith("s3:")),
    );
    expect(s3).toHaveLength(1);
    expect(s3[0]?.statement).toMatchObject({
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject"],
      Resource: archiveObjects(),
    });
    const roleId = ((s3[0]?.roles ?? []) as { Ref: string }[])[0]?.Ref ?? "";
    const roles = template.toJSON().Resources as Record<string, Resource>;
    expect(roles[roleId]?.Properties.RoleName).toBe("prod-sagaworks-orchestrator");
  });

  it("outputs the orchestrator's SAGA_ARCHIVE, s3://<bucket>/sagas/, for the Helm values", () => {
    template.hasOutput("SagaArchive", {
      Value: { "Fn::Join": ["", ["s3://", { Ref: bucketId() }, "/sagas/"]] },
    });
  });

  it("refuses a lifecycle that would delete objects the archive index still names", () => {
    const build = (sagaArchive: SagaArchiveProps) => () =>
      new SagaworksStack(new App(), "bad", { topology, deployables: DEPLOYABLES, sagaArchive });
    expect(build({ expireAfter: Duration.days(90) })).toThrow(
      /expireAfter of 90 days is shorter than the orchestrator's archive index \(400 days\)/,
    );
    expect(build({ infrequentAccessAfter: Duration.days(7) })).toThrow(
      /infrequentAccessAfter of 7 days: give at least 30 days/,
    );
    expect(build({ prefix: "sagas" })).toThrow(
      /sagaArchive.prefix "sagas": give folder names ending in "\/"/,
    );
    const custom = Template.fromStack(
      new SagaworksStack(new App(), "custom", {
        topology,
        deployables: DEPLOYABLES,
        sagaArchive: { prefix: "audit/sagas/", expireAfter: Duration.days(400) },
      }),
    );
    custom.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Prefix: "audit/sagas/", ExpirationInDays: 400 })],
      },
    });
  });
});

/** The archive bucket's logical id in the template. */
function bucketId(): string {
  const [id] = Object.keys(template.findResources("AWS::S3::Bucket"));
  if (!id) throw new TypeError("no S3 bucket in the template");
  return id;
}

/** The resource of the orchestrator's archive grant: every key under the bucket's prefix. */
function archiveObjects(): unknown {
  return { "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId(), "Arn"] }, "/sagas/*"]] };
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

/** role name suffix → queue or topic name → sorted actions, read back from the template. */
function grantsByRole(template: Template): Record<string, Record<string, string[]>> {
  const json = template.toJSON() as { Resources: Record<string, Resource> };
  const nameOf = (logicalId: string) => {
    const properties = json.Resources[logicalId]?.Properties ?? {};
    return String(
      properties.QueueName ?? properties.TopicName ?? properties.Description ?? logicalId,
    );
  };
  const grants: Record<string, Record<string, string[]>> = {};
  for (const resource of Object.values(json.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy") continue;
    const roleRef = (resource.Properties.Roles as { Ref: string }[])[0]?.Ref ?? "";
    const role = String(json.Resources[roleRef]?.Properties.RoleName).replace(
      "prod-sagaworks-",
      "",
    );
    const document = resource.Properties.PolicyDocument as { Statement: Statement[] };
    for (const statement of document.Statement) {
      for (const target of [statement.Resource].flat()) {
        const ref = JSON.stringify(target).match(/"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/)?.[1];
        if (!ref) continue;
        const name = nameOf(ref);
        const byTarget = grants[role] ?? {};
        grants[role] = byTarget;
        byTarget[name] = [...(byTarget[name] ?? []), ...[statement.Action].flat()].sort();
      }
    }
  }
  return grants;
}
