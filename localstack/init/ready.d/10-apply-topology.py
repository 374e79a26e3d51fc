# LocalStack ready hook: creates the Sagaworks topology when LocalStack is up.
#
# The topology is not written here. localstack/topology.json is the output of
# `topology print` (the one derivation: participants from saga-definitions/, receive count and
# event subscribers from the topology settings), and a test fails when it is stale:
#   node scripts/bootstrap.mjs topology print > localstack/topology.json
# This hook only applies that file, with the boto3 inside LocalStack's own Python: no Node, no
# pnpm install, nothing written to the host. Idempotent, like `topology apply`.
import json
import os

import boto3

TOPOLOGY_FILE = os.environ.get("SAGAWORKS_TOPOLOGY_FILE", "/etc/sagaworks/topology.json")
ENDPOINT = os.environ.get("SAGAWORKS_HOOK_ENDPOINT", "http://localhost:4566")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def renamed(name, source_prefix, prefix):
    """The file is derived for one prefix; SAGAWORKS_ENV_PREFIX may ask for another."""
    if prefix == source_prefix or not name.startswith(source_prefix + "-"):
        return name
    return prefix + name[len(source_prefix):]


def main():
    with open(TOPOLOGY_FILE, encoding="utf-8") as handle:
        topology = json.load(handle)
    source_prefix = topology["prefix"]
    prefix = os.environ.get("SAGAWORKS_ENV_PREFIX") or source_prefix
    name = lambda value: renamed(value, source_prefix, prefix)  # noqa: E731

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
    )
    sqs = session.client("sqs", endpoint_url=ENDPOINT)
    sns = session.client("sns", endpoint_url=ENDPOINT)

    topic_arns = {}
    for topic in topology["topics"]:
        topic_arns[topic["name"]] = sns.create_topic(Name=name(topic["name"]))["TopicArn"]

    queue_urls = {}
    queue_arns = {}
    # Dead-letter queues come first in the derived list, so their ARNs exist for redrive.
    for queue in topology["queues"]:
        attributes = dict(queue["attributes"])
        if queue.get("deadLetterQueue"):
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": queue_arns[queue["deadLetterQueue"]],
                    "maxReceiveCount": queue["maxReceiveCount"],
                }
            )
        url = sqs.create_queue(QueueName=name(queue["name"]))["QueueUrl"]
        # set_queue_attributes also corrects a queue that an older run created differently.
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        queue_urls[queue["name"]] = url
        queue_arns[queue["name"]] = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    for subscription in topology["subscriptions"]:
        attributes = {"RawMessageDelivery": str(subscription["rawMessageDelivery"]).lower()}
        if subscription.get("filterPolicy"):
            attributes["FilterPolicy"] = json.dumps(subscription["filterPolicy"])
            attributes["FilterPolicyScope"] = "MessageAttributes"
        sns.subscribe(
            TopicArn=topic_arns[subscription["topic"]],
            Protocol="sqs",
            Endpoint=queue_arns[subscription["queue"]],
            Attributes=attributes,
        )

    print(
        "sagaworks topology applied: %d queues, %d topics, %d subscriptions (prefix %s)"
        % (len(queue_urls), len(topic_arns), len(topology["subscriptions"]), prefix)
    )


main()
