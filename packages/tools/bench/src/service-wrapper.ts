// Runs a service's own main (`node service-wrapper.ts <main.ts>`) unchanged, adding one thing:
// when the runner that started it goes away (its IPC channel closes), the service gets SIGTERM
// and shuts down gracefully, so no benchmark leaves processes behind.
import { pathToFileURL } from "node:url";
import { BenchErrorCode, BenchErrors } from "./errors.ts";

const main = process.argv[2];
if (!main)
  throw BenchErrors.create(BenchErrorCode.usage, "usage: node service-wrapper.ts <main.ts>");
process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
await import(pathToFileURL(main).href);
