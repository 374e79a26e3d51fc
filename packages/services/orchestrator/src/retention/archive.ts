// Where finished sagas' records go before they are pruned: an S3 bucket, or a folder (the
// embedded default and development). Either way one object per pruned batch, JSON lines.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

/**
 * Contract: `write` resolves only once the object is durable where it was sent (S3 answered,
 * or the file is fsynced and renamed into place), with the location an auditor finds it at;
 * it never overwrites an existing object (every name is new).
 */
export interface SagaArchive {
  /** Where objects go (`s3://bucket/prefix` or a folder path), for logs. */
  readonly description: string;
  write(name: string, body: string): Promise<string>;
  close(): void;
}

/** A batch's object name: by day, so an auditor can list a day, and unique. */
export function archiveObjectName(at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll("-", "/");
  const stamp = at.toISOString().replace(/[-:.]/g, "");
  return `${day}/sagas-${stamp}-${randomBytes(4).toString("hex")}.jsonl`;
}

/** Writes objects under a folder; a file appears only complete (temporary name, fsync, rename). */
export class FolderArchive implements SagaArchive {
  readonly description: string;
  private readonly folder: string;

  constructor(folder: string) {
    this.folder = folder;
    this.description = folder;
  }

  async write(name: string, body: string): Promise<string> {
    const path = join(this.folder, name);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.partial`;
    const file = await open(partial, "wx");
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partial, path);
    return path;
  }

  close(): void {}
}

/** Writes objects to an S3 bucket (or an S3-compatible endpoint such as the emulator's). */
export class S3Archive implements SagaArchive {
  readonly description: string;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(s3: S3Client, bucket: string, prefix: string) {
    this.s3 = s3;
    this.bucket = bucket;
    this.prefix = prefix;
    this.description = `s3://${bucket}/${prefix}`;
  }

  async write(name: string, body: string): Promise<string> {
    const key = `${this.prefix}${name}`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: "application/x-ndjson",
        // Refuses to replace an object of the same name (names are unique anyway).
        IfNoneMatch: "*",
      }),
    );
    return `s3://${this.bucket}/${key}`;
  }

  close(): void {
    this.s3.destroy();
  }
}

/** Where archives go, parsed from SAGA_ARCHIVE. */
export type ArchiveTarget =
  | { kind: "s3"; bucket: string; prefix: string }
  | { kind: "folder"; path: string }
  | { kind: "none" };

/**
 * Parses `s3://bucket/prefix`, `file:///folder`, a folder path, or `none`; a relative folder is
 * taken from `cwd`. Throws a RangeError that says what is wrong (the caller names the setting).
 */
export function parseArchiveTarget(text: string, cwd = process.cwd()): ArchiveTarget {
  const value = text.trim();
  if (value === "none") return { kind: "none" };
  if (value.startsWith("s3://")) {
    const rest = value.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    let prefix = slash === -1 ? "" : rest.slice(slash + 1);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new RangeError(
        `"${bucket}" in "${value}" is not an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)`,
      );
    }
    if (prefix && !prefix.endsWith("/")) prefix = `${prefix}/`;
    return { kind: "s3", bucket, prefix };
  }
  if (value.startsWith("file:")) return { kind: "folder", path: fileURLToPath(value) };
  if (value.includes("://")) {
    throw new RangeError(
      `"${value}" is neither s3://bucket/prefix, file:///folder, a folder path nor none`,
    );
  }
  if (value === "") throw new RangeError("empty: give a folder, s3://bucket/prefix or none");
  return { kind: "folder", path: isAbsolute(value) ? value : resolve(cwd, value) };
}

/** The archive a target names; S3 goes through `endpoint` when given (emulator, LocalStack). */
export function openArchive(
  target: ArchiveTarget,
  aws: { endpoint: string | undefined; region: string },
): SagaArchive | undefined {
  switch (target.kind) {
    case "none":
      return undefined;
    case "folder":
      return new FolderArchive(target.path);
    case "s3":
      return new S3Archive(
        new S3Client({
          region: aws.region,
          endpoint: aws.endpoint,
          // Emulators serve buckets by path and accept any key; AWS uses the credential chain.
          forcePathStyle: aws.endpoint !== undefined,
          credentials: aws.endpoint ? { accessKeyId: "test", secretAccessKey: "test" } : undefined,
        }),
        target.bucket,
        target.prefix,
      );
  }
}
