// Parses a definition file's text into a value plus a `locate` function that maps JSON paths to
// line and column, so every diagnostic can point into the file. Pure: it takes text, not a path.
//
// jsonc-parser (the parser behind VS Code's JSON support) is used instead of JSON.parse because it
// gives offsets for every node and for every syntax error; JSON.parse gives neither portably.
// Comments and trailing commas are refused: definition files are plain JSON.

import {
  createScanner,
  findNodeAtLocation,
  getNodePath,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { formatJsonPath, type JsonPath, type SourcePosition } from "../errors.ts";
import { MAX_NESTING_DEPTH } from "../value-guard.ts";
import { type FileProblem, FileProblemCode } from "./file-problem.ts";

export type { FileProblem };

/** A parsed definition file. */
export interface SourceDocument {
  value: unknown;
  /** Line and column (1-based) of the JSON path, or of its nearest existing ancestor. */
  locate(path: JsonPath): SourcePosition;
}

const SYNTAX_HINTS: Record<string, string> = {
  InvalidSymbol: "remove or quote the unexpected character (JSON strings use double quotes)",
  InvalidNumberFormat: "write the number in JSON form (no leading zeros, no trailing dot)",
  PropertyNameExpected: "write a property name in double quotes, or remove the trailing comma",
  ValueExpected: "write a value here, or remove the trailing comma",
  ColonExpected: 'add ":" between the property name and its value',
  CommaExpected: 'add "," between the two entries',
  CloseBraceExpected: 'close the object with "}"',
  CloseBracketExpected: 'close the array with "]"',
  EndOfFileExpected: "remove what follows the top-level value",
  InvalidCommentToken: "remove the comment: definition files are plain JSON",
  UnexpectedEndOfComment: "remove the comment: definition files are plain JSON",
  UnexpectedEndOfString: "close the string with a double quote on the same line",
  UnexpectedEndOfNumber: "finish the number",
  InvalidUnicode: "fix the \\u escape (four hex digits)",
  InvalidEscapeCharacter: 'fix the escape sequence (\\\\, \\", \\n, \\t, \\uXXXX …)',
  InvalidCharacter: "escape control characters inside strings (e.g. \\n for a newline)",
};

/** Maps character offsets to 1-based line and column. */
export function createLineIndex(text: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) === 10) starts.push(index + 1);
  }
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (starts[low] as number) + 1 };
  };
}

function duplicateKeys(root: Node): Array<{ node: Node; key: string }> {
  const found: Array<{ node: Node; key: string }> = [];
  const visit = (node: Node) => {
    if (node.type === "object") {
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const keyNode = property.children?.[0];
        const key = String(keyNode?.value);
        if (keyNode && seen.has(key)) found.push({ node: keyNode, key });
        seen.add(key);
      }
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return found;
}

// jsonc-parser's `SyntaxKind` is a const enum, which this project's module settings cannot import.
const SyntaxKind = {
  OpenBraceToken: 1,
  CloseBraceToken: 2,
  OpenBracketToken: 3,
  CloseBracketToken: 4,
  EOF: 17,
} as const;

/**
 * Offset of the first bracket nested deeper than `MAX_NESTING_DEPTH`, found with the scanner
 * (a loop, not recursion): the tree parser recurses once per level and would overflow the stack
 * on a value nested ~1,200 levels deep, so depth is checked before the tree is built.
 */
function tooDeepAt(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token: number = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      depth++;
      if (depth > MAX_NESTING_DEPTH) return scanner.getTokenOffset();
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

function fileProblem(
  file: string,
  at: SourcePosition,
  code: string,
  message: string,
  path: JsonPath = [],
): FileProblem {
  return { code, message, file, ...at, path, pointer: formatJsonPath(path) };
}

/** Parses definition text; syntax errors and duplicate keys come back as located problems. */
export function parseSourceDocument(
  text: string,
  file: string,
): { ok: true; document: SourceDocument } | { ok: false; problems: FileProblem[] } {
  const position = createLineIndex(text);
  if (text.charCodeAt(0) === 0xfeff) {
    return {
      ok: false,
      problems: [
        fileProblem(
          file,
          { line: 1, column: 1 },
          FileProblemCode.jsonMalformed,
          "The file starts with a byte-order mark (BOM): save it as UTF-8 without BOM.",
        ),
      ],
    };
  }
  if (text.trim() === "") {
    return {
      ok: false,
      problems: [
        fileProblem(
          file,
          { line: 1, column: 1 },
          FileProblemCode.jsonMalformed,
          "Malformed JSON: the file is empty; write a saga definition object.",
        ),
      ],
    };
  }
  const deepAt = tooDeepAt(text);
  if (deepAt !== undefined) {
    return {
      ok: false,
      problems: [
        fileProblem(
          file,
          position(deepAt),
          FileProblemCode.nestingTooDeep,
          `Flatten this value: it is nested more than ${MAX_NESTING_DEPTH} levels deep, the most a definition may use.`,
        ),
      ],
    };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  // One mistake often yields two parser errors at the same place (a trailing comma is both
  // "property name expected" and "value expected"): report the first one per offset.
  const seenOffsets = new Set<number>();
  const firstPerOffset = errors.filter((error) => {
    if (seenOffsets.has(error.offset)) return false;
    seenOffsets.add(error.offset);
    return true;
  });
  const problems: FileProblem[] = firstPerOffset.map((error) => {
    const name = printParseErrorCode(error.error);
    const at = position(error.offset);
    return {
      code: FileProblemCode.jsonMalformed,
      message: `Malformed JSON (${name}): ${SYNTAX_HINTS[name] ?? "fix the syntax"}.`,
      file,
      ...at,
      path: [],
      pointer: "$",
    };
  });
  if (!tree && problems.length === 0) {
    problems.push({
      code: FileProblemCode.jsonMalformed,
      message: "Malformed JSON: the file is empty; write a saga definition object.",
      file,
      line: 1,
      column: 1,
      path: [],
      pointer: "$",
    });
  }
  if (tree) {
    for (const { node, key } of duplicateKeys(tree)) {
      const path = getNodePath(node.parent ?? node);
      problems.push({
        code: FileProblemCode.jsonDuplicateKey,
        message: `Remove the second "${key}": a key may appear once per object (JSON readers keep only one of them).`,
        file,
        ...position(node.offset),
        path,
        pointer: formatJsonPath(path),
      });
    }
  }
  if (problems.length > 0 || !tree) return { ok: false, problems };

  const value: unknown = getNodeValue(tree);
  const locate = (path: JsonPath): SourcePosition => {
    for (let length = path.length; length >= 0; length--) {
      const node = findNodeAtLocation(tree, [...path.slice(0, length)]);
      if (!node) continue;
      // Point at the key of a property ("pivot": true → the "pivot"), which is where eyes go.
      const anchor = node.parent?.type === "property" ? node.parent : node;
      return position(anchor.offset);
    }
    return { line: 1, column: 1 };
  };
  return { ok: true, document: { value, locate } };
}
