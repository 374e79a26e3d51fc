export {
  assertDockerReachable,
  chooseTestBroker,
  createTestDatabase,
  LOCALSTACK_IMAGE,
  startTestBroker,
  type TestBroker,
  type TestBrokerChoice,
  type TestDatabase,
  uniqueTestName,
} from "./test-backends.ts";
