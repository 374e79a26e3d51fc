// The definitions are data; this module only says where they are, so the processes and tests that
// load them by default import one path instead of each counting `../` up to the repository root.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of this folder: the shipped `*.saga.json` files and their schema. */
export const sagaDefinitionsDir = dirname(fileURLToPath(import.meta.url));
