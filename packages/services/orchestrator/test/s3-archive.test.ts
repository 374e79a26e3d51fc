// The S3 archive against the embedded emulator's S3 (fauxqs serves S3 on the broker's endpoint),
// over HTTP with the real SDK: what an auditor lists and reads back is what was pruned.
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { archiveObjectName, openArchive, parseArchiveTarget } from "../src/index.ts";

const endpoint = inject("brokerEndpoint");
const bucket = `archive-${Date.now().toString(36)}`;
let s3: S3Client;

beforeAll(async () => {
  s3 = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => s3.destroy());

describe("the S3 archive", () => {
  it("writes one JSON-lines object per batch under the prefix, by day", async () => {
    const archive = openArchive(parseArchiveTarget(`s3://${bucket}/sagaworks/prod`), {
      endpoint,
      region: "us-east-1",
    });
    if (!archive) throw new Error("an s3:// target opens an archive");
    const at = new Date("2026-03-31T12:00:00.000Z");
    const body = `${JSON.stringify({ sagaId: "a" })}\n${JSON.stringify({ sagaId: "b" })}\n`;
    const location = await archive.write(archiveObjectName(at), body);
    archive.close();
    expect(location).toMatch(
      new RegExp(
        `^s3://${bucket}/sagaworks/prod/2026/03/31/sagas-20260331T120000000Z-[0-9a-f]{8}\\.jsonl$`,
      ),
    );
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "sagaworks/prod/2026/03/31/" }),
    );
    expect(listed.Contents?.map((object) => `s3://${bucket}/${object.Key}`)).toEqual([location]);
    const key = location.slice(`s3://${bucket}/`.length);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await object.Body?.transformToString()) ?? "";
    expect(
      text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line).sagaId),
    ).toEqual(["a", "b"]);
  });

  it("fails the write (so nothing is pruned) when the bucket does not exist", async () => {
    const archive = openArchive(parseArchiveTarget("s3://no-such-bucket-here/x"), {
      endpoint,
      region: "us-east-1",
    });
    await expect(archive?.write("one.jsonl", "{}\n")).rejects.toThrow();
    archive?.close();
  });
});

describe("SAGA_ARCHIVE", () => {
  it("names what is wrong with a bad value", () => {
    expect(() => parseArchiveTarget("s3://Bad_Bucket/x")).toThrow(
      /"Bad_Bucket" in "s3:\/\/Bad_Bucket\/x" is not an S3 bucket name/,
    );
    expect(() => parseArchiveTarget("ftp://host/x")).toThrow(/neither s3:\/\/bucket\/prefix/);
    expect(parseArchiveTarget("none")).toEqual({ kind: "none" });
    expect(parseArchiveTarget("archive", "/srv")).toEqual({ kind: "folder", path: "/srv/archive" });
    expect(parseArchiveTarget("s3://b-1/p")).toEqual({ kind: "s3", bucket: "b-1", prefix: "p/" });
  });
});
