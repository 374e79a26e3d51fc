export { alwaysFailingConsumer } from "./failing-consumer.ts";
export { forwardRequest } from "./forward.ts";
export { MessageSpy, receiveMessages } from "./message-spy.ts";
export { type WaitOptions, waitFor } from "./wait.ts";
