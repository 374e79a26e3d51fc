#!/usr/bin/env node
// Entry point of `ops …`: binds the command to the process.
import { runOps } from "./run-ops.ts";

process.exitCode = await runOps(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  isTty: process.stdout.isTTY === true,
});
