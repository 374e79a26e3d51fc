// Edits image tags in a Helm values file without disturbing anything else. yaml's Document API
// finds each tag's scalar and its exact source range; only that range is rewritten (in the
// scalar's own quoting style), so comments, key order, spacing and flow maps stay byte for byte
// and the pull request's diff is only the tag values a reviewer expects. Re-serialising the
// whole document would keep comments too, but re-indent flow maps and comment spacing.
import { type DeployableName, helmImageTagPath } from "@sagaworks/deployables";
import { isScalar, parse, parseDocument, Scalar } from "yaml";
import { CiErrorCode, ciError } from "../errors.ts";

/** One deployable's new tag. */
export interface ImageTag {
  name: DeployableName;
  tag: string;
}

/** The edited file and the deployables whose tag changed. */
export interface SetImageTagsResult {
  text: string;
  changed: DeployableName[];
}

/**
 * Sets `<name>.image.tag` for each deployable. Returns the text unchanged (byte for byte) when
 * every tag already has its value. Throws listing every path that is missing or not a scalar:
 * a values file without the chart's shape is a mistake to fix, not a key to invent.
 */
export function setImageTags(
  text: string,
  file: string,
  tags: readonly ImageTag[],
): SetImageTagsResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw ciError(
      CiErrorCode.valuesPathMissing,
      `${file} is not valid YAML: ${doc.errors[0]?.message}`,
      {
        details: { file },
      },
    );
  }
  const missing: string[] = [];
  const changed: DeployableName[] = [];
  const edits: { start: number; end: number; source: string }[] = [];
  for (const { name, tag } of tags) {
    const path = helmImageTagPath(name);
    const node = doc.getIn(path, true);
    if (!isScalar(node) || !node.range) {
      missing.push(path.join("."));
      continue;
    }
    if (node.value === tag) continue;
    edits.push({ start: node.range[0], end: node.range[1], source: renderScalar(tag, node.type) });
    changed.push(name);
  }
  if (missing.length > 0) {
    throw ciError(
      CiErrorCode.valuesPathMissing,
      `${file} has no image tag at ${missing.join(", ")}: the chart's values must hold <name>.image.tag for every deployable`,
      { details: { file, missing } },
    );
  }
  let edited = text;
  for (const edit of edits.toSorted((a, b) => b.start - a.start)) {
    edited = edited.slice(0, edit.start) + edit.source + edited.slice(edit.end);
  }
  // The splice must read back as exactly the tags asked for; anything else is a bug to stop on.
  const check = parseDocument(edited);
  for (const { name, tag } of tags) {
    if (check.getIn(helmImageTagPath(name)) !== tag) {
      throw ciError(CiErrorCode.valuesPathMissing, `editing ${file} did not set ${name}'s tag`);
    }
  }
  return { text: edited, changed };
}

/** A string as a YAML scalar in the given style; plain only when it reads back as that string. */
function renderScalar(value: string, type: Scalar["type"]): string {
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replaceAll("'", "''")}'`;
  if (type === Scalar.PLAIN && parse(value) === value) return value;
  return JSON.stringify(value);
}
