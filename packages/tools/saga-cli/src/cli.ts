#!/usr/bin/env node
// Entry point of `pnpm saga …`: binds the CLI to the process.
import { runCli } from "./run-cli.ts";

const status = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = status;
