import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import {
  activeWork,
  type Effect,
  type SagaEvent,
  type SagaSnapshot,
  type TransitionResult,
} from "../model.ts";
import { transition } from "../transition.ts";
import { trackTimers } from "./armed-timers.ts";
import { replyTo } from "./causation.ts";

/** Drives one saga through `transition` with a fake clock, keeping the timers it arms. */
export class SagaDriver {
  snapshot: SagaSnapshot | null = null;
  now = new Date("2026-01-01T00:00:00.000Z");
  random = () => 0.5;
  /** Armed timers by id: what the orchestrator's timer table would hold. */
  readonly timers = new Map<string, Extract<Effect, { type: "schedule-timer" }>>();
  readonly results: TransitionResult[] = [];
  readonly compiled: CompiledSaga;

  constructor(compiled: CompiledSaga) {
    this.compiled = compiled;
  }

  apply(event: SagaEvent): TransitionResult {
    const result = transition(this.compiled, this.snapshot, event, {
      now: this.now,
      random: this.random,
    });
    this.results.push(result);
    if (result.applied) {
      this.snapshot = result.snapshot;
      trackTimers(this.timers, result.effects);
    }
    return result;
  }

  start(input: JsonValue = { id: "thing-1" }, sagaId = "00000000-0000-4000-8000-000000000001") {
    return this.apply({ type: "start", sagaId, input });
  }

  /** Replies to the attempt the saga waits on (or to the given one). */
  reply(
    name: string,
    payload: JsonValue = {},
    at?: { attempt?: number; step?: string; compensation?: boolean },
  ) {
    const pending = this.snapshot ? activeWork(this.snapshot) : null;
    const step = at?.step ?? pending?.step ?? "";
    const attempt = at?.attempt ?? pending?.attempt ?? 1;
    const compensation = at?.compensation ?? pending?.compensation ?? false;
    return this.apply(this.replyEvent({ step, attempt, compensation }, name, payload));
  }

  /** A participant's reply to that attempt, naming the command it answers; not applied. */
  replyEvent(
    at: { step: string; attempt: number; compensation: boolean },
    name: string,
    payload: JsonValue,
  ): SagaEvent {
    return replyTo(this.effects(), at, name, payload);
  }

  http(status: number, body: JsonValue = {}) {
    const pending = this.snapshot ? activeWork(this.snapshot) : null;
    return this.apply({
      type: "http-response",
      step: pending?.step ?? "",
      attempt: pending?.attempt ?? 1,
      status,
      body,
    });
  }

  /** Moves the clock forward and fires the timers that are due, earliest first. */
  advance(ms: number): TransitionResult[] {
    this.now = new Date(this.now.getTime() + ms);
    const due = [...this.timers.values()]
      .filter((timer) => Date.parse(timer.fireAt) <= this.now.getTime())
      .sort((a, b) => a.fireAt.localeCompare(b.fireAt));
    return due.map((timer) => {
      this.timers.delete(timer.timerId);
      return this.apply(timer.event);
    });
  }

  /** Fires the earliest armed timer, moving the clock to it. */
  fireNext(): TransitionResult | undefined {
    const next = [...this.timers.values()].sort((a, b) => a.fireAt.localeCompare(b.fireAt))[0];
    if (!next) return undefined;
    this.now = new Date(Math.max(this.now.getTime(), Date.parse(next.fireAt)));
    this.timers.delete(next.timerId);
    return this.apply(next.event);
  }

  get status() {
    return this.snapshot?.status;
  }

  /** Every effect of the applied transitions, in order. */
  effects(): Effect[] {
    return this.results.filter((r) => r.applied).flatMap((r) => r.effects);
  }

  /** The commands sent, as `Command` or `Command#attempt` strings. */
  commands(withAttempts = false): string[] {
    return this.effects().flatMap((e) =>
      e.type === "send-command" ? [withAttempts ? `${e.command}#${e.attempt}` : e.command] : [],
    );
  }
}
