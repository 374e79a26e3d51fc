// An OpsIo that keeps what a command writes, for assertions.
import type { OpsIo } from "../command.ts";

/** The io plus what was written to stdout and stderr. */
export interface CapturedIo {
  io: OpsIo;
  out(): string;
  err(): string;
}

/** An OpsIo rooted at `cwd` with the given environment, capturing its output. */
export function captureIo(cwd: string, env: Record<string, string | undefined> = {}): CapturedIo {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      env,
      cwd,
      isTty: false,
    },
    out: () => out,
    err: () => err,
  };
}
