export { MessageSpy, receiveMessages } from "./message-spy.ts";
export { type WaitOptions, waitFor } from "./wait.ts";
