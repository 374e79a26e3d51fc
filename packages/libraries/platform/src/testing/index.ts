export {
  type InMemoryTracing,
  type ReadableSpan,
  startInMemoryTracing,
} from "./in-memory-tracing.ts";
export {
  assertDockerReachable,
  chooseTestBroker,
  createTestDatabase,
  dropTestSchemas,
  LOCALSTACK_IMAGE,
  startTestBroker,
  type TestBroker,
  type TestBrokerChoice,
  type TestDatabase,
  uniqueTestName,
} from "./test-backends.ts";
