import type { Deployable } from "@sagaworks/deployables";
import { IMAGE_REPOSITORY_SETTINGS, imageRepositoryName } from "@sagaworks/deployables";
import { QueueRole, SUB_SAGA_SERVICE, type Topology } from "@sagaworks/topology";
import {
  CfnOutput,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_ecr as ecr,
  aws_iam as iam,
  aws_kms as kms,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sns_subscriptions as snsSubscriptions,
  aws_sqs as sqs,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { InfraErrorCode, InfraErrors } from "./errors.ts";

/** What the stack is built from: the derived topology and the deployables list. */
export interface SagaworksStackProps extends StackProps {
  /** From `environmentTopology` — the same derivation the code, the CLI and LocalStack use. */
  topology: Topology;
  /** The four deployables (`@sagaworks/deployables`): one image repository and role each. */
  deployables: readonly Deployable[];
  /** Age of the oldest message on a working queue that raises an alarm; defaults to 5 min. */
  oldestMessageAlarmAge?: Duration;
  /** The archive of finished sagas' records (see {@link SagaArchiveProps}); defaults apply. */
  sagaArchive?: SagaArchiveProps;
}

/** How long the archive of pruned sagas keeps its objects, and where it puts them. */
export interface SagaArchiveProps {
  /** Objects move to Glacier Instant Retrieval this long after they are written; 30 days. */
  infrequentAccessAfter?: Duration;
  /**
   * Objects are deleted this long after they are written; defaults to 7 years (2557 days), an
   * audit trail's usual keep. At least the orchestrator's archive index (SAGA_ARCHIVE_INDEX_DAYS,
   * 400 days by default), or a pruned id's 410 would name an object already gone.
   */
  expireAfter?: Duration;
  /** Key prefix of the orchestrator's objects; defaults to `sagas/`. */
  prefix?: string;
}

/** The orchestrator's default SAGA_ARCHIVE_INDEX_DAYS: the archive must keep objects as long. */
const ARCHIVE_INDEX_DAYS = 400;

/** SQS actions of a consumer on its own queue. */
const CONSUME = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueUrl",
  "sqs:GetQueueAttributes",
];
/** SQS actions of a producer on a queue it sends to. */
const SEND = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"];
/** What finding a queue takes (`resolveTopology` at start-up). */
const FIND = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"];

/**
 * Everything one environment runs on in AWS, built from the derived topology so the queues the
 * code expects and the queues that exist cannot drift: per queue SSE and its DLQ with the
 * topology's maxReceiveCount, the events topic (KMS-encrypted) and its subscriptions, an alarm
 * on every DLQ's depth and every working queue's oldest message, an ECR repository per
 * deployable, one role per deployable with only the actions and resources it uses, and the
 * bucket the orchestrator archives finished sagas to before it prunes them.
 */
export class SagaworksStack extends Stack {
  /** Queues by topology name. */
  readonly queues = new Map<string, sqs.Queue>();
  /** Topics by topology name. */
  readonly topics = new Map<string, sns.Topic>();
  /** Roles by deployable name. */
  readonly roles = new Map<string, iam.Role>();
  /** Where the orchestrator archives finished sagas before pruning them. */
  readonly archiveBucket: s3.Bucket;
  /** The orchestrator's SAGA_ARCHIVE: `s3://<bucket>/<prefix>` (a token until deploy). */
  readonly sagaArchive: string;

  constructor(scope: Construct, id: string, props: SagaworksStackProps) {
    super(scope, id, props);
    const { topology } = props;
    const alarmAge = props.oldestMessageAlarmAge ?? Duration.minutes(5);

    const topicKey = new kms.Key(this, "EventsTopicKey", {
      description: `Encrypts the ${topology.prefix} saga events topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Publishers get kms:GenerateDataKey and kms:Decrypt on this key in their role (below); the
    // subscribed queues use SQS-managed SSE, which SNS can deliver to without a key grant.
    for (const spec of topology.topics) {
      this.topics.set(
        spec.name,
        new sns.Topic(this, `Topic-${spec.name}`, { topicName: spec.name, masterKey: topicKey }),
      );
    }

    // DLQs come first in the derived list, so each working queue finds its DLQ here.
    for (const spec of topology.queues) {
      const dlq = spec.deadLetterQueue ? this.queues.get(spec.deadLetterQueue) : undefined;
      if (spec.deadLetterQueue && !dlq) {
        throw InfraErrors.create(
          InfraErrorCode.topologyUnsupported,
          `queue ${spec.name}: its DLQ ${spec.deadLetterQueue} is not defined first`,
        );
      }
      const seconds = (name: string) => {
        const value = spec.attributes[name];
        return value === undefined ? undefined : Duration.seconds(Number(value));
      };
      const retention = seconds("MessageRetentionPeriod");
      const visibility = seconds("VisibilityTimeout");
      const wait = seconds("ReceiveMessageWaitTimeSeconds");
      const queue = new sqs.Queue(this, `Queue-${spec.name}`, {
        queueName: spec.name,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...(retention ? { retentionPeriod: retention } : {}),
        ...(visibility ? { visibilityTimeout: visibility } : {}),
        ...(wait ? { receiveMessageWaitTime: wait } : {}),
        ...(dlq
          ? { deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount ?? 5 } }
          : {}),
      });
      this.queues.set(spec.name, queue);
      if (spec.role === QueueRole.deadLetter) {
        new cloudwatch.Alarm(this, `DlqDepth-${spec.name}`, {
          alarmName: `${spec.name}-depth`,
          alarmDescription: `Messages in ${spec.name}: inspect and replay them with \`ops dlq\`.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: "Maximum",
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      } else {
        new cloudwatch.Alarm(this, `OldestMessage-${spec.name}`, {
          alarmName: `${spec.name}-oldest-message`,
          alarmDescription: `${spec.name} has a message older than ${alarmAge.toHumanString()}: its consumer is down or too slow.`,
          metric: queue.metricApproximateAgeOfOldestMessage({
            period: Duration.minutes(1),
            statistic: "Maximum",
          }),
          threshold: alarmAge.toSeconds(),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }

    for (const spec of topology.subscriptions) {
      const topic = this.topics.get(spec.topic);
      const queue = this.queues.get(spec.queue);
      if (!topic || !queue) {
        throw InfraErrors.create(
          InfraErrorCode.topologyUnsupported,
          `subscription ${spec.topic} -> ${spec.queue}: unknown`,
        );
      }
      topic.addSubscription(
        new snsSubscriptions.SqsSubscription(queue, {
          rawMessageDelivery: spec.rawMessageDelivery,
          ...(spec.filterPolicy
            ? {
                filterPolicyWithMessageBody: undefined,
                filterPolicy: filterPolicyOf(spec.filterPolicy),
              }
            : {}),
        }),
      );
    }

    const archive = this.archive(topology.prefix, props.sagaArchive ?? {});
    this.archiveBucket = archive.bucket;
    this.sagaArchive = `s3://${archive.bucket.bucketName}/${archive.prefix}`;
    new CfnOutput(this, "SagaArchive", {
      description:
        "The orchestrator's SAGA_ARCHIVE: set the Helm value orchestrator.archive to it (finished sagas are archived there, then pruned)",
      value: this.sagaArchive,
    });

    for (const deployable of props.deployables) {
      new ecr.Repository(this, `Repository-${deployable.name}`, {
        repositoryName: imageRepositoryName(deployable.name),
        imageScanOnPush: IMAGE_REPOSITORY_SETTINGS.scanOnPush,
        imageTagMutability: ecr.TagMutability[IMAGE_REPOSITORY_SETTINGS.imageTagMutability],
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          {
            description: `Keep the newest ${IMAGE_REPOSITORY_SETTINGS.keepImages} images`,
            maxImageCount: IMAGE_REPOSITORY_SETTINGS.keepImages,
          },
        ],
      });
      const role = new iam.Role(this, `Role-${deployable.name}`, {
        roleName: `${topology.prefix}-sagaworks-${deployable.name}`,
        description: `The ${deployable.name} pods (EKS Pod Identity): only the queues and topic it uses`,
        assumedBy: new iam.ServicePrincipal("pods.eks.amazonaws.com").withSessionTags(),
      });
      this.roles.set(deployable.name, role);
      for (const statement of this.statementsFor(deployable.name, topology, topicKey)) {
        role.addToPrincipalPolicy(statement);
      }
      if (deployable.name === "orchestrator") {
        // Writes each pruned batch (a new key every time) and reads it back for an auditor;
        // no delete, no list: the orchestrator can neither remove nor browse the audit trail.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ["s3:PutObject", "s3:GetObject"],
            resources: [archive.bucket.arnForObjects(`${archive.prefix}*`)],
          }),
        );
      }
    }
  }

  /**
   * The bucket finished sagas are archived to: encrypted, never public, TLS only, versioned (an
   * overwritten or deleted object can be recovered), objects moved to Glacier Instant Retrieval
   * after a month and deleted after years, kept when the stack goes.
   */
  private archive(
    envPrefix: string,
    props: SagaArchiveProps,
  ): { bucket: s3.Bucket; prefix: string } {
    const infrequentAfter = props.infrequentAccessAfter ?? Duration.days(30);
    const expireAfter = props.expireAfter ?? Duration.days(2557);
    const prefix = props.prefix ?? "sagas/";
    if (!/^([A-Za-z0-9!_.*'()-]+\/)+$/.test(prefix)) {
      throw InfraErrors.create(
        InfraErrorCode.archiveSettingInvalid,
        `sagaArchive.prefix "${prefix}": give folder names ending in "/" (e.g. "sagas/"), in S3's safe characters`,
      );
    }
    if (expireAfter.toDays() < ARCHIVE_INDEX_DAYS) {
      throw InfraErrors.create(
        InfraErrorCode.archiveSettingInvalid,
        `sagaArchive.expireAfter of ${expireAfter.toDays()} days is shorter than the orchestrator's archive index (${ARCHIVE_INDEX_DAYS} days): a pruned saga's id would name an object already deleted. Keep at least ${ARCHIVE_INDEX_DAYS} days.`,
      );
    }
    if (infrequentAfter.toDays() < 30 || infrequentAfter.toDays() >= expireAfter.toDays()) {
      throw InfraErrors.create(
        InfraErrorCode.archiveSettingInvalid,
        `sagaArchive.infrequentAccessAfter of ${infrequentAfter.toDays()} days: give at least 30 days (S3's minimum before a transition) and less than expireAfter (${expireAfter.toDays()} days).`,
      );
    }
    const bucket = new s3.Bucket(this, "SagaArchiveBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: `${envPrefix}-saga-archive`,
          prefix,
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: infrequentAfter,
            },
          ],
          expiration: expireAfter,
          // A replaced or deleted object stays recoverable for a month, then goes.
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    return { bucket, prefix };
  }

  /**
   * What one deployable may do. The orchestrator consumes replies, sends commands, publishes
   * events and finds every queue at start-up; a participant consumes its command queue and
   * sends replies; a service with no queue (customer) gets nothing.
   */
  private statementsFor(
    name: string,
    topology: Topology,
    topicKey: kms.Key,
  ): iam.PolicyStatement[] {
    const arnsOf = (predicate: (spec: Topology["queues"][number]) => boolean) =>
      topology.queues.filter(predicate).map((spec) => this.queue(spec.name).queueArn);
    const statements: iam.PolicyStatement[] = [];
    const allow = (actions: string[], resources: string[]) => {
      if (resources.length > 0) statements.push(new iam.PolicyStatement({ actions, resources }));
    };
    if (name === "orchestrator") {
      // Its own command queue too: a parent saga's sub-saga steps start and compensate children
      // through it.
      allow(
        CONSUME,
        arnsOf(
          (q) =>
            q.role === QueueRole.replies ||
            q.role === QueueRole.outsideEvents ||
            (q.role === QueueRole.commands && q.owner === SUB_SAGA_SERVICE),
        ),
      );
      allow(
        SEND,
        arnsOf((q) => q.role === QueueRole.commands),
      );
      allow(
        FIND,
        arnsOf((q) => q.role === QueueRole.deadLetter || q.role === QueueRole.events),
      );
      const topicArns = [...this.topics.values()].map((topic) => topic.topicArn);
      allow(["sns:Publish", "sns:GetTopicAttributes"], topicArns);
      allow(["kms:GenerateDataKey", "kms:Decrypt"], topicArns.length > 0 ? [topicKey.keyArn] : []);
      return statements;
    }
    const commandQueues = arnsOf((q) => q.role === QueueRole.commands && q.owner === name);
    if (commandQueues.length === 0) return statements;
    allow(CONSUME, commandQueues);
    allow(
      SEND,
      arnsOf((q) => q.role === QueueRole.replies),
    );
    return statements;
  }

  private queue(name: string): sqs.Queue {
    const queue = this.queues.get(name);
    if (!queue) {
      throw InfraErrors.create(
        InfraErrorCode.topologyUnsupported,
        `queue ${name} is not in the stack`,
      );
    }
    return queue;
  }
}

/** Turns a topology filter policy (`{ name: ["saga.completed"] }`) into CDK's form. */
function filterPolicyOf(policy: Record<string, unknown>): Record<string, sns.SubscriptionFilter> {
  const filters: Record<string, sns.SubscriptionFilter> = {};
  for (const [attribute, values] of Object.entries(policy)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
      throw InfraErrors.create(
        InfraErrorCode.topologyUnsupported,
        `filter policy on ${attribute}: only lists of strings are supported`,
      );
    }
    filters[attribute] = sns.SubscriptionFilter.stringFilter({ allowlist: values });
  }
  return filters;
}
