export {
  MessageSpy,
  receiveMessages,
  type WaitOptions,
  waitFor,
} from "@sagaworks/messaging/testing";
export { commandEnvelope, ReplyCollector } from "./commands.ts";
