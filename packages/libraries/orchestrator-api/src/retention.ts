// Pruning's pause switch, shared by every replica: `GET /retention`, `POST /retention/pause`,
// `POST /retention/resume`.
import { z } from "zod";

/** Whether pruning is paused (by whom, since when), and the answering replica's settings. */
export const retentionViewBody = z.object({
  paused: z.boolean(),
  pausedBy: z.string().nullable(),
  pausedAt: z.string().nullable(),
  pausedByConfig: z.boolean(),
  retentionMs: z.number(),
  inboxRetentionMs: z.number(),
  archiveIndexRetentionMs: z.number(),
  archive: z.string(),
});
/** What the retention routes answer. */
export type RetentionViewBody = z.infer<typeof retentionViewBody>;
