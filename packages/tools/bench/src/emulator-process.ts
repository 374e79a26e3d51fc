// The SQS/SNS emulator (fauxqs) as its own process, the way a developer runs LocalStack: the
// system under test pays for the emulator's CPU in another process, as it would pay AWS over the
// network. It counts every request by caller (the access key id of its signature) and API, so
// the runner can tell the system's requests from its own clients'.
//
// IPC: sends { type: "ready", endpoint }; answers { type: "counts" } with { type: "counts", counts }
// and { type: "reset" } with { type: "reset-done" }.
import { buildApp } from "fauxqs";
import { exitWithParent } from "./children.ts";

const counts = new Map<string, number>();

const app = buildApp({ logger: false });
exitWithParent(() => app.close());
app.addHook("preHandler", async (request) => {
  const auth = request.headers.authorization ?? "";
  const caller = /Credential=([^/]+)\//.exec(auth)?.[1] ?? "anonymous";
  const target = request.headers["x-amz-target"];
  let api: string;
  if (typeof target === "string") {
    api = `SQS.${target.slice(target.indexOf(".") + 1)}`;
  } else {
    const action = (request.body as { Action?: unknown } | undefined)?.Action;
    api = `SNS.${typeof action === "string" ? action : "unknown"}`;
  }
  const key = `${caller} ${api}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
});

const endpoint = await app.listen({ port: 0, host: "127.0.0.1" });
process.on("message", (message: { type?: string }) => {
  if (message.type === "counts") {
    process.send?.({ type: "counts", counts: Object.fromEntries(counts) });
  } else if (message.type === "reset") {
    counts.clear();
    process.send?.({ type: "reset-done" });
  }
});
process.send?.({ type: "ready", endpoint });
