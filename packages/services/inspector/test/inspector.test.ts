// The web inspector in a real browser (Debian's Chromium, driven by playwright-core) against the

// whole back end with real sagas: the orchestrator serving the freshly built app at /ui, the
// order, account and customer services, the SQS/SNS endpoint of the run, and Postgres.
//
// Sagas are parked where a test needs them by pausing a real service (stopping its participant)
// and resuming it (a new replica on the same database and queue), never by faking replies.
// Each page is saved as it is checked, to .ci/out/screenshots/ (git-ignored), or to the folder
// INSPECTOR_SCREENSHOT_DIR names: docs/screenshots/ refreshes the README's pictures.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { type AccountService, startAccountService } from "@sagaworks/account-service";
import { serviceContracts } from "@sagaworks/contracts";
import { sendToQueue } from "@sagaworks/messaging";
import { alwaysFailingConsumer, waitFor } from "@sagaworks/messaging/testing";
import { apiDocument } from "@sagaworks/orchestrator";
import { silentLogger } from "@sagaworks/platform";
import { type CompiledSaga, catalogOf, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { definitionsDir, type RunningSystem } from "@sagaworks/system";
import { startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { commandQueueName, deadLetterQueueName } from "@sagaworks/topology";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { apiTypesFile, renderApiTypes } from "../src/api-types.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const screenshots = join(
  repoRoot,
  process.env.INSPECTOR_SCREENSHOT_DIR || join(".ci", "out", "screenshots"),
);
const TOKEN = "inspector-test-token-0123456789";
/** Pixels the page is wider than the window; 0 when nothing scrolls sideways. */
const HORIZONTAL_OVERFLOW =
  "document.documentElement.scrollWidth - document.documentElement.clientWidth";
/** How far the widest table overflows its scroll box: > 0 means columns are cut off from view. */
const TABLE_OVERFLOW =
  "Math.max(0, ...Array.from(document.querySelectorAll('.table-wrap'), (wrap) => wrap.scrollWidth - wrap.clientWidth))";
/** The smallest size, in CSS pixels, a graph label may be drawn at. */
const MIN_LABEL_PX = 12;
/**
 * Each graph label as drawn: its size in CSS pixels (font size times the graph's scale), the
 * lines it takes on screen, and the lines the compiler gave it (its <br/>s). Source text, since
 * the tests' TypeScript has no DOM types.
 */
const labelFacts = (
  scope: string,
) => `Array.from(document.querySelectorAll(${JSON.stringify(`${scope} .graph-svg .nodeLabel`)}), (label) => {
  const svg = label.closest("svg");
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const range = document.createRange();
  range.selectNodeContents(label);
  const tops = Array.from(range.getClientRects(), (rect) => rect.top).sort((a, b) => a - b);
  const lines = tops.filter((top, i) => i === 0 || top - tops[i - 1] > 6).length;
  return {
    text: label.textContent || "",
    px: parseFloat(getComputedStyle(label).fontSize) * scale,
    lines,
    breaks: label.querySelectorAll("br").length + 1,
  };
})`;
/** Longest wait on one browser condition (a refresh, a render, a saga moving on). */
const UI_WAIT_MS = 30_000;

/**
 * The shipped sagas, with create-order's pivot (reserve-credit) given one 20 s attempt, so a
 * paused account service parks a saga in needs-intervention within the test's time, while a
 * restarted one (a new process start, on a busy machine) still answers before it runs out; and
 * its create-order step a 10 min timeout, so a dead-lettered CreateOrder stays the one its saga
 * waits for.
 */
async function definitions(): Promise<CompiledSaga[]> {
  const read = async (file: string) =>
    JSON.parse(await readFile(join(definitionsDir, file), "utf8")) as {
      steps: { name: string; retry?: unknown; timeout?: string }[];
    };
  const createOrder = await read("create-order.saga.json");
  const pivot = createOrder.steps.find((step) => step.name === "reserve-credit");
  if (!pivot) throw new Error("create-order has no reserve-credit step");
  pivot.retry = { maxAttempts: 1 };
  pivot.timeout = "20s";
  // A CreateOrder in the order DLQ stays "waiting" for as long as the dead-letter test looks.
  const create = createOrder.steps.find((step) => step.name === "create-order");
  if (!create) throw new Error("create-order has no create-order step");
  create.timeout = "10m";
  const compiled = [
    createOrder,
    await read("cancel-order.saga.json"),
    await read("split-order.saga.json"),
    await read("hold-credit.saga.json"),
  ].map((definition) => compileSagaOrThrow(definition, { contracts: serviceContracts }));
  // order-with-deposit starts hold-credit and create-order: compiled against them.
  const parent = compileSagaOrThrow(await read("order-with-deposit.saga.json"), {
    contracts: serviceContracts,
    sagas: catalogOf(compiled),
  });
  return [...compiled, parent];
}

let system: RunningSystem;
let base: string;
let userDataDir: string;
let context: BrowserContext;
let page: Page;
/**
 * What the browser reported against the pages since the last test: Content-Security-Policy
 * violations, uncaught errors and resources not found (a favicon 404 included). Each test must
 * leave it empty.
 */
const browserProblems: string[] = [];
/** The account service running now: the system's own until a test pauses it. */
let account: Pick<AccountService, "stop"> | undefined;
const replicas: Pick<AccountService, "stop">[] = [];
const seeded: Record<"compensated" | "failed" | "completed", string> = {
  compensated: "",
  failed: "",
  completed: "",
};

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field.
  return { status: response.status, body: (await response.json()) as any };
}

async function startOrder(customerId: string, totalCents: number): Promise<string> {
  const started = await api("POST", "/sagas/create-order", {
    input: {
      customerId,
      items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
      totalCents,
    },
  });
  expect(started.status).toBe(201);
  return started.body.sagaId as string;
}

// biome-ignore lint/suspicious/noExplicitAny: the saga view is read field by field.
async function sagaWhen(id: string, check: (saga: any) => boolean, description: string) {
  return waitFor(
    async () => {
      const saga = await api("GET", `/sagas/${id}`);
      return check(saga.body) ? saga.body : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, description },
  );
}

async function pauseAccount() {
  await account?.stop();
  account = undefined;
}

async function resumeAccount() {
  const replica = await startAccountService({
    db: system.databases.account,
    sqs: system.clients.sqs,
    logger: silentLogger(),
    prefix: system.prefix,
    waitTimeSeconds: 1,
    auth: { writeToken: system.serviceToken },
  });
  replicas.push(replica);
  account = replica;
}

async function shoot(name: string) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** Waits until the saga page shows this status in its heading. */
async function headingStatus(status: string) {
  await page
    .locator("main h1 .badge", { hasText: new RegExp(`^${status}$`) })
    .waitFor({ timeout: UI_WAIT_MS });
}

/** Waits until the graph has rendered, with the saga's marks in it. */
/**
 * Focuses the page's heading and presses Tab (at most `maxPresses` times) until the focused
 * element's text is `text`; whether it got there.
 */
async function tabFromHeadingTo(text: string, maxPresses: number): Promise<boolean> {
  await page.locator("main h1").focus();
  for (let presses = 0; presses < maxPresses; presses++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(
      "document.activeElement && document.activeElement.textContent",
    );
    if (focused === text) return true;
  }
  return false;
}

async function graphRendered() {
  await page.locator("#graph .graph-svg svg").waitFor({ timeout: UI_WAIT_MS });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}, and the inspector's browser tests need it: npm test installs it where it can (as root or with sudo, through apt-get); elsewhere run sudo apt-get install -y chromium, or set CHROMIUM_PATH.`,
    );
  }
  await mkdir(screenshots, { recursive: true });
  // The app under test is built from this checkout's sources, every run. Not alongside the
  // start-up below: the build holds this process's event loop for seconds at a time, long
  // enough for the database pool to give up waiting.
  await build({ configFile: join(packageDir, "vite.config.ts"), logLevel: "warn" });
  system = await startTestSystem("inspector browser", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: TOKEN,
    definitions: await definitions(),
    // Step by step: these tests hold sagas between two steps (create-order done, the pivot
    // waiting), which a chain of the three never shows.
    chainSteps: false,
  });
  account = system.services.account;
  base = system.urls.orchestrator;

  seeded.completed = await startOrder("cust-ada", 1_200);
  seeded.compensated = await startOrder("cust-margaret", 4_200);
  seeded.failed = await startOrder("cust-nobody", 1_000);
  await Promise.all(
    (["completed", "compensated", "failed"] as const).map((status) =>
      sagaWhen(seeded[status], (saga) => saga.snapshot.status === status, `a ${status} saga`),
    ),
  );

  userDataDir = await mkdtemp(join(tmpdir(), "inspector-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|status of 404/.test(text)) {
      browserProblems.push(`${message.type()}: ${text} (${message.location().url})`);
    }
  });
  page.on("pageerror", (error) => browserProblems.push(`uncaught: ${error.message}`));
}, 300_000);

afterEach(() => {
  expect(browserProblems.splice(0), "the browser reported problems on the page").toEqual([]);
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  for (const replica of replicas) await replica.stop();
  if (!system) return;
  await stopSystemAndDropSchemas(system);
}, 60_000);

describe("the inspector's API types", () => {
  it("match the OpenAPI document the orchestrator serves", async () => {
    const served = await (await fetch(`${base}/docs/json`)).json();
    // The writer builds the document from the routes alone; it must be the one served.
    expect(await apiDocument()).toEqual(served);
    const committed = await readFile(apiTypesFile, "utf8");
    expect(
      committed === (await renderApiTypes(served)),
      "web/api-types.ts is out of date: run node scripts/bootstrap.mjs inspector:api-types",
    ).toBe(true);
  });
});

describe("the web inspector", () => {
  it("signs in with the API token, keeps it in sessionStorage and never in the URL", async () => {
    await page.goto(`${base}/ui/`);
    const token = page.getByLabel("API token");
    await token.waitFor({ timeout: UI_WAIT_MS });
    await shoot("login");
    await token.fill("not-the-token-0123456789");
    await token.press("Enter");
    await page
      .getByRole("alert")
      .filter({ hasText: "UNAUTHORIZED" })
      .waitFor({ timeout: UI_WAIT_MS });
    // Keyboard only: the field keeps focus, Enter submits.
    await token.fill(TOKEN);
    await token.press("Enter");
    await page.getByRole("heading", { name: "Sagas", level: 1 }).waitFor({ timeout: UI_WAIT_MS });
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(page.url()).not.toContain(TOKEN);
  });

  it("lists sagas with live counts per status", async () => {
    await page.goto(`${base}/ui/#/sagas`);
    const completedCount = page.locator('[data-count="completed"]');
    await completedCount.filter({ hasText: /^[1-9]\d*$/ }).waitFor({ timeout: UI_WAIT_MS });
    for (const id of Object.values(seeded)) {
      await page.locator(`tr[data-saga-id="${id}"]`).waitFor({ timeout: UI_WAIT_MS });
    }
    expect(await page.locator('[data-count="compensated"]').textContent()).toBe("1");
    expect(await page.locator('[data-count="failed"]').textContent()).toBe("1");
    // A saga started now appears without a reload: the list refreshes by polling.
    const fresh = await startOrder("cust-grace", 900);
    await page.locator(`tr[data-saga-id="${fresh}"]`).waitFor({ timeout: UI_WAIT_MS });
    await sagaWhen(fresh, (saga) => saga.snapshot.status === "completed", "the fresh saga");
    await shoot("sagas");
  });

  it("finds a compensated saga by filter and shows the compensation on its timeline and graph", async () => {
    await page.goto(`${base}/ui/#/sagas`);
    await page.getByLabel("Status", { exact: true }).selectOption("compensated");
    await page.getByLabel("Search id or input").fill("margaret");
    await page.getByRole("button", { name: "Search" }).click();
    const row = page.locator(`tr[data-saga-id="${seeded.compensated}"]`);
    await row.waitFor({ timeout: UI_WAIT_MS });
    await page.locator("tbody tr").nth(1).waitFor({ state: "detached", timeout: UI_WAIT_MS });
    expect(page.url()).toContain("status=compensated");
    await shoot("sagas-filtered");

    await row.getByRole("link").click();
    await headingStatus("compensated");
    const compensation = page.locator("#timeline .event.compensation");
    await compensation.first().waitFor({ timeout: UI_WAIT_MS });
    const texts = await compensation.allTextContents();
    expect(texts.join("\n")).toMatch(/compensation of create-order|RejectOrder|compensated/);
    expect(await page.locator("#timeline").textContent()).toContain("CreditLimitExceeded");
    await graphRendered();
    const diagram = await page.locator("#graph .graph-svg").getAttribute("data-graph-text");
    expect(diagram).toMatch(/class [^\n]*compensate_create_order[^\n]* compensated/);
    expect(diagram).toMatch(/class [^\n]*step_reserve_credit[^\n]* failed/);
    // The rendered SVG carries the marks too.
    expect(await page.locator("#graph svg g.compensated").count()).toBeGreaterThan(0);
    expect(await page.locator("#steps").textContent()).toContain("RejectOrder");
    await shoot("saga-compensated");
  });

  it("shows each definition with its graph, steps, input schema and hash", async () => {
    await page.goto(`${base}/ui/#/definitions`);
    const panel = page.locator("#def-create-order-1");
    await panel.locator(".graph-svg svg").waitFor({ timeout: UI_WAIT_MS });
    const text = (await panel.textContent()) ?? "";
    expect(text).toMatch(/sha256:[0-9a-f]{64}/);
    expect(text).toContain("pivot");
    expect(text).toContain("RejectOrder");
    expect(text).toContain("until success");
    await panel.getByText("input schema (JSON Schema)").click();
    expect(await panel.locator("details.json pre").first().textContent()).toContain("totalCents");
    await page.locator("#def-cancel-order-1 .graph-svg svg").waitFor({ timeout: UI_WAIT_MS });
    // At 1280 px every column of the steps table is in view, compensation included.
    expect(Number(await page.evaluate(TABLE_OVERFLOW))).toBeLessThanOrEqual(0);
    const compensation = panel.locator("thead th", { hasText: "compensation" });
    const wrap = await panel.locator(".table-wrap").boundingBox();
    const column = await compensation.boundingBox();
    expect(column && wrap && column.x + column.width <= wrap.x + wrap.width + 1).toBe(true);
    // Graph labels are drawn large enough to read, each on the lines the compiler gave it.
    const labels = (await page.evaluate(labelFacts("#def-create-order-1"))) as {
      text: string;
      px: number;
      lines: number;
      breaks: number;
    }[];
    expect(labels.length).toBeGreaterThan(5);
    for (const label of labels) {
      expect(label.px, `label "${label.text}"`).toBeGreaterThanOrEqual(MIN_LABEL_PX);
      expect(label.lines, `label "${label.text}" wraps`).toBeLessThanOrEqual(label.breaks);
    }
    await shoot("definitions");
  });

  it("retries a saga that needs intervention, by keyboard, and sees it complete", async () => {
    await pauseAccount();
    const sagaId = await startOrder("cust-grace", 2_500);
    await sagaWhen(
      sagaId,
      (saga) => saga.snapshot.status === "needs-intervention",
      "the pivot to give up",
    );
    await resumeAccount();

    await page.goto(`${base}/ui/#/sagas?status=needs-intervention`);
    await page.locator(`tr[data-saga-id="${sagaId}"] a`).click();
    await headingStatus("needs-intervention");
    await graphRendered();
    // Parked, it waits on no step timer; its deadline timer is still pending.
    expect(await page.locator("#timers table").textContent()).toContain("saga-deadline");
    await shoot("saga-needs-intervention");

    // Tab to the Retry button from the top of the page.
    expect(await tabFromHeadingTo("Retry…", 80), "the Retry button is reachable with Tab").toBe(
      true,
    );
    await page.keyboard.press("Enter");
    // The form opens with its reason field focused.
    // Polled from the test, not with waitForFunction: its predicate is run with eval inside the
    // page, which the inspector's policy (script-src 'self') rightly refuses.
    await waitFor(
      async () =>
        (await page.evaluate("document.activeElement && document.activeElement.id")) ===
        "action-reason"
          ? true
          : undefined,
      { timeoutMs: UI_WAIT_MS, description: "the action form's reason field to have focus" },
    );
    await page.keyboard.type("account service was down; retrying after its restart");
    await page.getByLabel("Who is acting").fill("ops@example.com");
    await page.getByLabel(/^Reason/).press("Tab");
    await page.keyboard.press("Enter");
    await headingStatus("completed");
    expect(await page.locator("#timeline").textContent()).toContain(
      "account service was down; retrying after its restart",
    );
    await graphRendered();
    const diagram = await page.locator("#graph .graph-svg").getAttribute("data-graph-text");
    expect(diagram).toMatch(/class [^\n]*step_approve_order[^\n]* done/);
    await shoot("saga-retried");
  }, 150_000);

  it("lets the operator choose which of a parallel group's pending steps an action is for", async () => {
    // Both shares wait on a paused account service: two steps pending at once. (Before the test
    // that stops the order service: create-order must still be answered.)
    await pauseAccount();
    const started = await api("POST", "/sagas/split-order", {
      input: {
        customerId: "cust-ada",
        coPayerId: "cust-grace",
        coPayerReservationId: `share-${randomUUID()}`,
        items: [{ sku: "book", quantity: 2, unitPriceCents: 1_000 }],
        totalCents: 2_000,
        payerCents: 1_200,
        coPayerCents: 800,
      },
    });
    expect(started.status).toBe(201);
    const sagaId = started.body.sagaId as string;
    await sagaWhen(
      sagaId,
      (saga) => Object.keys(saga.snapshot.pending).length === 2,
      "both shares to wait for their replies",
    );

    await page.goto(`${base}/ui/#/sagas/${sagaId}`);
    await graphRendered();
    await page.getByRole("button", { name: "Retry…" }).click();
    const choice = page.getByLabel("Which pending step");
    const offered = await choice.locator("option").allTextContents();
    expect(offered).toHaveLength(2);
    expect(offered.join(" | ")).toContain("reserve-payer-share, attempt 1");
    expect(offered.join(" | ")).toContain("reserve-co-payer-share, attempt 1");
    await choice.selectOption({
      label: offered.find((text) => text.startsWith("reserve-co-payer-share")),
    });
    await page.getByLabel("Who is acting").fill("ops@example.com");
    await page.getByLabel(/^Reason/).fill("resend the co-payer's share");
    await page.getByRole("button", { name: "Confirm retry" }).click();
    await page
      .locator("#timeline")
      .filter({ hasText: "resend the co-payer's share" })
      .waitFor({ timeout: UI_WAIT_MS });
    await shoot("saga-parallel-retry-chosen-step");

    // The retry went to the step chosen, not to the first pending one.
    const retried = await api("GET", `/sagas/${sagaId}`);
    const retries = retried.body.history.filter(
      (entry: { eventType: string }) => entry.eventType === "operator.retry",
    );
    expect(retries).toEqual([
      expect.objectContaining({
        applied: true,
        event: expect.objectContaining({
          expected: expect.objectContaining({ step: "reserve-co-payer-share", attempt: 1 }),
        }),
      }),
    ]);
    expect(retried.body.snapshot.pending["reserve-co-payer-share"]?.attempt).toBe(2);
    expect(retried.body.snapshot.pending["reserve-payer-share"]?.attempt).toBe(1);

    await resumeAccount();
    await sagaWhen(sagaId, (saga) => saga.snapshot.status === "completed", "the saga to complete");
  }, 150_000);

  it("links a parent saga to the children its sub-saga steps started, and each child back to it", async () => {
    const started = await api("POST", "/sagas/order-with-deposit", {
      input: {
        customerId: "cust-ada",
        items: [{ sku: "book", quantity: 1, unitPriceCents: 500 }],
        totalCents: 500,
        depositCents: 100,
      },
    });
    expect(started.status).toBe(201);
    const parentId = started.body.sagaId as string;
    const parent = await sagaWhen(
      parentId,
      (saga) => saga.snapshot.status === "completed",
      "the parent to complete",
    );
    const hold = parent.children.find((child: { step: string }) => child.step === "hold-deposit");
    expect(hold).toMatchObject({ sagaName: "hold-credit", attempt: 1 });

    await page.goto(`${base}/ui/#/sagas/${parentId}`);
    await graphRendered();
    const children = page.locator("[data-children]");
    await children.waitFor({ timeout: UI_WAIT_MS });
    expect(await children.textContent()).toContain("step place-order");
    await shoot("saga-sub-saga-parent");
    await children.getByRole("link", { name: new RegExp(hold.sagaId) }).click();
    const back = page.locator("[data-parent]");
    await back.waitFor({ timeout: UI_WAIT_MS });
    expect(await back.textContent()).toContain("(step hold-deposit)");
    expect(page.url()).toContain(hold.sagaId);
    await back.getByRole("link").click();
    await page.locator("[data-children]").waitFor({ timeout: UI_WAIT_MS });
    expect(page.url()).toContain(parentId);
  }, 150_000);

  it("is refused a compensation while the pivot's outcome is unknown and past it, with the API's reason shown", async () => {
    // Hold a saga at its pivot: create-order done, reserve-credit waiting on a paused account
    // service.
    await pauseAccount();
    const sagaId = await startOrder("cust-ada", 3_300);
    await sagaWhen(
      sagaId,
      (saga) => saga.snapshot.steps["create-order"]?.status === "succeeded",
      "the order to be created",
    );

    await page.goto(`${base}/ui/#/sagas/${sagaId}`);
    await graphRendered();
    // Its reply is awaited: skipping is not offered, compensating past it is refused.
    expect(await page.getByRole("button", { name: "Skip…" }).count()).toBe(0);
    await page.getByRole("button", { name: "Compensate…" }).click();
    await page.getByLabel("Who is acting").fill("ops@example.com");
    await page.getByLabel(/^Reason/).fill("credit reserved by hand");
    await page.getByRole("button", { name: "Confirm compensate" }).click();
    const pivotRefusal = page.getByRole("alert").filter({ hasText: "PIVOT_OUTCOME_UNKNOWN" });
    await pivotRefusal.waitFor({ timeout: UI_WAIT_MS });
    expect(await pivotRefusal.textContent()).toContain("409");
    expect(await pivotRefusal.textContent()).toContain("is unknown");
    await shoot("saga-refused-pivot-unknown");
    await page.getByRole("button", { name: "Cancel" }).click();
    // Nothing passed the pivot: it still waits on reserve-credit, and no output was recorded.
    const held = await api("GET", `/sagas/${sagaId}`);
    expect(held.body.snapshot).toMatchObject({ pivotPassed: false });
    expect(held.body.snapshot.pending).toMatchObject({
      "reserve-credit": { step: "reserve-credit" },
    });
    expect(held.body.snapshot.steps["reserve-credit"]?.status).not.toBe("skipped");

    // Let the pivot pass (approve-order then waits on a paused order service). Both at once:
    // the pivot's one attempt runs out if the account takes too long to return; if it already
    // has (a slow machine), the saga is parked at the pivot and a retry sends it again.
    await Promise.all([system.services.order.stop(), resumeAccount()]);
    if ((await api("GET", `/sagas/${sagaId}`)).body.snapshot.status === "needs-intervention") {
      const parked = Object.values(
        (await api("GET", `/sagas/${sagaId}`)).body.snapshot.pending,
      )[0] as {
        step: string;
        attempt: number;
        compensation: boolean;
      };
      const retried = await api("POST", `/sagas/${sagaId}/retry`, {
        actor: "ops@example.com",
        reason: "the account service is back",
        expected: {
          step: parked.step,
          attempt: parked.attempt,
          compensation: parked.compensation,
        },
      });
      expect(retried.status).toBe(200);
    }
    await sagaWhen(
      sagaId,
      (saga) => saga.snapshot.pivotPassed && saga.snapshot.state === "step:approve-order",
      "the pivot to pass",
    );

    await page.goto(`${base}/ui/#/sagas/${sagaId}`);
    await page
      .locator("#timeline")
      .filter({ hasText: "approve-order" })
      .waitFor({ timeout: UI_WAIT_MS });
    await headingStatus("running");
    await page.getByRole("button", { name: "Compensate…" }).click();
    await page.getByLabel("Who is acting").fill("ops@example.com");
    await page.getByLabel(/^Reason/).fill("customer asked to cancel");
    await page.getByRole("button", { name: "Confirm compensate" }).click();
    const refusal = page.getByRole("alert").filter({ hasText: "PIVOT_PASSED" });
    await refusal.waitFor({ timeout: UI_WAIT_MS });
    expect(await refusal.textContent()).toContain("409");
    expect(await refusal.textContent()).toContain("the pivot has succeeded");
    await shoot("saga-refused-compensate");

    const saga = await api("GET", `/sagas/${sagaId}`);
    expect(saga.body.snapshot).toMatchObject({ status: "running", state: "step:approve-order" });
    expect(
      saga.body.history.filter(
        (entry: { eventType: string }) => entry.eventType === "operator.compensate",
      ),
    ).toEqual([
      expect.objectContaining({ applied: false, reason: "credit reserved by hand" }),
      expect.objectContaining({ applied: false, reason: "customer asked to cancel" }),
    ]);
  }, 180_000);

  it("shows the DLQs with depth, their messages joined to saga state, and the dry-run replay plan", async () => {
    // The order service is stopped (the test before); a stand-in fails every command on its
    // queue until its consumer dead-letters it with the reason, as a broken participant would.
    // (The saga the test before left at approve-order has its ApproveOrder dead-lettered too:
    // the checks below look for this test's messages, whatever else the DLQ holds.)
    const orderQueue = commandQueueName(system.prefix, "order");
    const orderDlq = deadLetterQueueName(orderQueue);
    const queueUrl =
      (await system.clients.sqs.send(new GetQueueUrlCommand({ QueueName: orderQueue }))).QueueUrl ??
      "";
    const broken = alwaysFailingConsumer({
      sqs: system.clients.sqs,
      queueUrl,
      reason: "order database unreachable",
    });
    broken.start();
    let waiting: string;
    let movedOn: string;
    try {
      waiting = await startOrder("cust-ada", 1_100);
      movedOn = await startOrder("cust-grace", 1_300);
      // And a body that is not an envelope: poison, whatever its reason.
      await sendToQueue(system.clients.sqs, queueUrl, [{ body: "{ not an envelope" }]);
      await waitFor(
        async () => {
          const read = (await api("GET", `/dead-letters/${orderDlq}`)).body;
          const sagaIds = read.groups.flatMap((g: { messages: { sagaId: string | null }[] }) =>
            g.messages.map((m) => m.sagaId),
          );
          return (
            sagaIds.includes(waiting) && sagaIds.includes(movedOn) && read.verdicts.poison === 1
          );
        },
        { timeoutMs: 60_000, description: "both CreateOrder commands and the poison in the DLQ" },
      );
    } finally {
      await broken.stop();
    }
    // One saga moves on: an operator compensates it, so its dead CreateOrder is stale.
    const pending = Object.values(
      (await api("GET", `/sagas/${movedOn}`)).body.snapshot.pending,
    )[0] as {
      step: string;
      attempt: number;
      compensation: boolean;
    };
    const compensated = await api("POST", `/sagas/${movedOn}/compensate`, {
      actor: "ops@example.com",
      reason: "customer cancelled",
      expected: {
        step: pending.step,
        attempt: pending.attempt,
        compensation: pending.compensation,
      },
    });
    expect(compensated.status).toBe(200);

    await page.goto(`${base}/ui/#/dead-letters`);
    await page.getByRole("heading", { name: "Dead letters", level: 1 }).waitFor();
    const depth = page.locator(`tr[data-dlq="${orderDlq}"] [data-depth]`);
    await depth.waitFor({ timeout: UI_WAIT_MS });
    expect(Number(await depth.getAttribute("data-depth"))).toBeGreaterThanOrEqual(3);
    // account's and order's commands, the orchestrator's own "sagas" commands (order-with-deposit
    // starts child sagas), the replies, and the outside events' queue.
    expect(await page.locator("tr[data-dlq]").count()).toBe(5);
    await shoot("dead-letters-list");
    // By keyboard: Tab from the heading to the DLQ's link, then Enter.
    expect(await tabFromHeadingTo(orderDlq, 30), "the DLQ's link is reachable with Tab").toBe(true);
    await page.keyboard.press("Enter");

    const outcome = page.locator("[data-plan-outcome]");
    await outcome.waitFor({ timeout: UI_WAIT_MS });
    expect(await outcome.textContent()).toMatch(
      new RegExp(
        `^dry run: [1-9]\\d* would be sent to ${orderQueue}, \\d+ left in ${orderDlq}; add --execute to replay$`,
      ),
    );
    expect(Number(await page.locator('[data-verdict-count="poison"]').textContent())).toBe(1);
    // What a replay helps is listed first.
    expect(await page.locator("article[data-verdict]").first().getAttribute("data-verdict")).toBe(
      "waiting",
    );
    const sagaLink = page.locator(`a[href="#/sagas/${waiting}"]`);
    const waitingGroup = page.locator('article[data-verdict="waiting"]', { has: sagaLink });
    const waitingRow = waitingGroup.locator("tbody tr", { has: sagaLink });
    const waitingText = (await waitingRow.textContent()) ?? "";
    expect(waitingText).toContain("running");
    expect(waitingText).toContain("step:create-order");
    expect(waitingText).toContain("send");
    expect(waitingText).toContain("saga waits for create-order attempt 1");
    expect(await waitingGroup.locator("h3").textContent()).toContain("CreateOrder");
    expect(await waitingGroup.textContent()).toContain("handler threw: order database unreachable");
    const staleText =
      (await page
        .locator('article[data-verdict="stale"] tr', {
          has: page.locator(`a[href="#/sagas/${movedOn}"]`),
        })
        .textContent()) ?? "";
    expect(staleText).toContain("compensating");
    expect(staleText).toContain("leave in DLQ");
    expect(staleText).toContain("saga moved on from create-order attempt 1");
    expect(await page.locator('article[data-verdict="poison"] .body-preview').textContent()).toBe(
      "{ not an envelope",
    );
    const commands = (await page.locator(".dlq-plan").textContent()) ?? "";
    expect(commands).toContain(`node scripts/bootstrap.mjs ops dlq replay ${orderDlq} --execute`);
    await shoot("dead-letters");

    await page.setViewportSize({ width: 390, height: 844 });
    await waitingGroup.waitFor();
    expect(Number(await page.evaluate(HORIZONTAL_OVERFLOW))).toBeLessThanOrEqual(0);
    await shoot("dead-letters-narrow");
    await page.setViewportSize({ width: 1280, height: 900 });

    // Reading put everything back: the depth did not drop.
    const listed = (await api("GET", "/dead-letters")).body.queues.find(
      (q: { name: string }) => q.name === orderDlq,
    );
    expect(listed.depth.total).toBeGreaterThanOrEqual(3);
    // The saga link opens the saga it belongs to.
    await waitingRow.locator(sagaLink).click();
    await headingStatus("running");
  }, 180_000);

  it("fits a narrow screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/ui/#/sagas/${seeded.compensated}`);
    await headingStatus("compensated");
    await graphRendered();
    const overflow = Number(await page.evaluate(HORIZONTAL_OVERFLOW));
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot("saga-narrow");
    await page.goto(`${base}/ui/#/sagas`);
    await page.locator(`tr[data-saga-id="${seeded.failed}"]`).waitFor({ timeout: UI_WAIT_MS });
    expect(Number(await page.evaluate(HORIZONTAL_OVERFLOW))).toBeLessThanOrEqual(0);
    // Nor is any column of the list clipped inside its box: each saga reads as a card.
    expect(Number(await page.evaluate(TABLE_OVERFLOW))).toBeLessThanOrEqual(0);
    const card = (await page.locator(`tr[data-saga-id="${seeded.failed}"]`).textContent()) ?? "";
    expect(card).toContain(seeded.failed);
    expect(card).toContain("failed");
    await shoot("sagas-narrow");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("says where a saga pruned after its retention period was archived", async () => {
    // The failed saga finished 100 days ago, as far as retention can tell: past the 90 days.
    await system.databases.orchestrator
      .knex("saga_instances")
      .where({ id: seeded.failed })
      .update({
        updated_at: new Date(Date.now() - 100 * 24 * 3_600_000),
        // Every writer of a saga's row bumps its revision (the test run's trigger checks it).
        revision: system.databases.orchestrator.knex.raw("revision + 1"),
      });
    const run = await system.orchestrator.retention?.pruneOnce();
    expect(run).toMatchObject({ sagas: 1, archived: 1 });
    await page.goto(`${base}/ui/#/sagas/${seeded.failed}`);
    const note = page.getByRole("alert");
    await note.waitFor({ timeout: UI_WAIT_MS });
    const text = (await note.textContent()) ?? "";
    expect(text).toContain("SAGA_ARCHIVED");
    expect(text).toContain(run?.objects[0] ?? "an archive object");
    await shoot("saga-archived");
  });
});

describe("the browser protections of the inspector and the API documentation", () => {
  let framer: Server | undefined;
  afterAll(
    () =>
      new Promise<void>((done) => {
        if (!framer) return done();
        // The browser keeps its connection to the framing page alive; close() would wait for it.
        framer.close(() => done());
        framer.closeAllConnections();
      }),
  );

  it("refuses to be framed by a page of another origin", async () => {
    // A page on another port (another origin) that frames the inspector, as a clickjacker would.
    framer = createServer((_request, response) => {
      response.setHeader("content-type", "text/html");
      response.end(`<!doctype html><title>framer</title><iframe src="${base}/ui/"></iframe>`);
    });
    await new Promise<void>((listening) => framer?.listen(0, "127.0.0.1", listening));
    const framerUrl = `http://127.0.0.1:${(framer.address() as AddressInfo).port}/`;
    const refused = page.waitForEvent("console", {
      predicate: (message) => /frame-ancestors 'none'/.test(message.text()),
      timeout: UI_WAIT_MS,
    });
    await page.goto(framerUrl);
    await refused;
    const framed = page.frames().find((frame) => frame !== page.mainFrame());
    expect(framed, "the framer's iframe").toBeDefined();
    // The inspector never ran inside the frame: no app root, no sign-in field.
    expect(await framed?.locator("#app").count()).toBe(0);
    expect(await framed?.getByLabel("API token").count()).toBe(0);
    // The refusal is the one report this test expects.
    const unexpected = browserProblems
      .splice(0)
      .filter((problem) => !/frame-ancestors 'none'/.test(problem));
    expect(unexpected).toEqual([]);
  });

  it("serves /docs under its strict policy and Swagger UI still renders every operation", async () => {
    await page.goto(`${base}/docs`);
    await page.locator(".opblock").first().waitFor({ timeout: UI_WAIT_MS });
    expect(await page.locator(".opblock").count()).toBeGreaterThan(5);
  });
});
