// Compatibility with definitions compiled before a compensation listed its success replies.
//
// Such a compiled definition stays stored (a saga runs on the exact machine it started on), so a
// compensation of one may still be answered. It then takes any reply but the participant SDK's
// technical failure as done, as those releases did.
//
// Remove in 0.3.0: compensations list their success replies since 0.1.x, and `saga diff
// --orchestrator-url` shows when no saga of an older stored definition still runs.

/** The technical failure reply of the participant SDK (`failed(code, message)`). */
const COMMAND_FAILED = "CommandFailed";

/** Whether `reply` completes a compensation compiled without a success list. */
export function compensationDoneWithoutSuccessList(reply: string): boolean {
  return reply !== COMMAND_FAILED;
}
