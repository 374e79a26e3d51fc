// GENERATED from the orchestrator's OpenAPI document (/docs/json); do not edit by hand.
// Regenerate: pnpm --filter @sagaworks/inspector api-types
// A test fails when this file no longer matches what the orchestrator serves.
export interface paths {
  "/dead-letters": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Every DLQ of the deployment (each working queue's -dlq, from the topology) with its approximate depth. Reads queue attributes only; no message is received. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              queues: {
                depth: {
                  delayed: number;
                  inFlight: number;
                  total: number;
                  visible: number;
                } | null;
                exists: boolean;
                maxReceiveCount: number | null;
                name: string;
                owner: string;
                role: string;
                sourceQueue: string;
              }[];
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/dead-letters/{queue}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description One DLQ (by its name or its source queue's name), read without taking anything out: its messages grouped by verdict, type, saga step and failure reason, each joined to its saga's state, with the dry-run replay plan of `ops dlq replay` and the commands that act on it. The read hides messages for about a second (30 s at most) and then makes them visible again. */
    get: {
      parameters: {
        query?: {
          includeStale?: "true" | "false";
          limit?: number;
        };
        header?: never;
        path: {
          queue: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              commands: {
                dryRun: string;
                execute: string;
                inspect: string;
              };
              count: number;
              groups: {
                count: number;
                key: string;
                kind: string | null;
                messages: {
                  /** @enum {string} */
                  action: "send" | "skip" | "after-first" | "returned";
                  attempt: number | null;
                  bodyPreview: string | null;
                  compensation: boolean | null;
                  explanation: string;
                  messageId: string | null;
                  saga: {
                    id: string;
                    name: string;
                    pending: {
                      [key: string]: {
                        attempt: number;
                        compensation: boolean;
                        step: string;
                        waitingFor: string;
                      };
                    };
                    state: string;
                    status: string;
                    updatedAt: string;
                    version: number;
                  } | null;
                  sagaId: string | null;
                  sentAt: string;
                  sqsMessageId: string;
                  step: string | null;
                  why: string;
                }[];
                moreMessages: number;
                name: string | null;
                newestSentAt: string;
                oldestSentAt: string;
                plan: {
                  afterFirst: number;
                  send: number;
                  skip: number;
                };
                reason: string | null;
                replayCommand: string | null;
                sagaName: string | null;
                step: string | null;
                /** @enum {string} */
                verdict: "waiting" | "stale" | "unknown-saga" | "archived" | "poison" | "event";
              }[];
              hiddenForSeconds: number;
              limit: number;
              plan: {
                afterFirst: number;
                outcome: string;
                send: number;
                skip: number;
              };
              queue: {
                depth: {
                  delayed: number;
                  inFlight: number;
                  total: number;
                  visible: number;
                } | null;
                exists: boolean;
                maxReceiveCount: number | null;
                name: string;
                owner: string;
                role: string;
                sourceQueue: string;
              };
              readAt: string;
              truncated: boolean;
              verdicts: {
                [key: string]: number;
              };
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/definitions": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Every stored definition; `deployed` marks what new sagas start on. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/definitions/{name}/{version}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A compiled definition and its Mermaid diagram. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
          version: number;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/events/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Deliver an outside event (declared in the contracts' `events`) for the saga waiting on its correlation key. 200 applied or duplicate; 202 kept (no wait is open yet: it is applied when one opens, or dropped at expiresAt); 409 EVENT_TOO_LATE (the wait already had its outcome: the event is recorded and published, never applied); 404 EVENT_WAIT_NOT_FOUND (no deployed saga waits for this event); 404 EVENT_UNKNOWN; 400 EVENT_PAYLOAD_INVALID. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            /** @description The sender's id of this event; a second delivery with it is a duplicate. */
            eventId: string;
            payload: {
              [key: string]: unknown;
            };
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/health": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Liveness: the process answers. Says nothing about its dependencies. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              dependency?: string;
              reason?: string;
              since?: string;
              status: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/metrics": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description This process's metrics in the Prometheus text format (version 0.0.4). Open, like /health. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/metrics.json": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description This replica's plain counters since it started (Prometheus text is at /metrics): commits, events applied, ignored, duplicates, junk replies, parked outbox messages. Open, like /health. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/ready": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Readiness: 200 when the database answers and the service has started. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              dependency?: string;
              reason?: string;
              since?: string;
              status: string;
            };
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              dependency?: string;
              reason?: string;
              since?: string;
              status: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/retention": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Whether pruning of finished sagas is paused, and this replica's settings. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              archive: string;
              archiveIndexRetentionMs: number;
              inboxRetentionMs: number;
              paused: boolean;
              pausedAt: string | null;
              pausedBy: string | null;
              pausedByConfig: boolean;
              retentionMs: number;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/retention/pause": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Pauses pruning on every replica until resumed (the batch under way finishes). */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              archive: string;
              archiveIndexRetentionMs: number;
              inboxRetentionMs: number;
              paused: boolean;
              pausedAt: string | null;
              pausedBy: string | null;
              pausedByConfig: boolean;
              retentionMs: number;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/retention/resume": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Resumes pruning; the next run starts at its usual interval. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              archive: string;
              archiveIndexRetentionMs: number;
              inboxRetentionMs: number;
              paused: boolean;
              pausedAt: string | null;
              pausedBy: string | null;
              pausedByConfig: boolean;
              retentionMs: number;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Sagas, newest first, filtered by status and name; paginated by cursor. */
    get: {
      parameters: {
        query?: {
          cursor?: string;
          limit?: number;
          name?: string;
          status?:
            | "running"
            | "compensating"
            | "completed"
            | "compensated"
            | "failed"
            | "needs-intervention"
            | "resolved";
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: {
                createdAt: string;
                id: string;
                name: string;
                state: string;
                status: string;
                updatedAt: string;
                version: number;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description A saga's state, its history (oldest first) and the messages parked for it. A saga pruned after its retention period answers 410 SAGA_ARCHIVED, with where its record was archived. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              children: {
                attempt: number;
                sagaId: string;
                sagaName: string;
                step: string;
              }[];
              createdAt: string;
              hash: string;
              history: {
                actor: string | null;
                applied: boolean;
                at: string;
                effects: unknown;
                event: unknown;
                eventType: string;
                note: string;
                reason: string | null;
                seq: number;
                state: string;
                status: string;
              }[];
              id: string;
              junkReplies: number;
              name: string;
              parent: {
                sagaId: string;
                sagaName: string;
                step: string;
              } | null;
              parkedMessages: {
                attempts: number;
                destination: string;
                id: string;
                kind: string;
                name: string | null;
                parkedAt: string;
                reason: string;
              }[];
              revision: number;
              snapshot: unknown;
              state: string;
              status: string;
              updatedAt: string;
              version: number;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        410: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/compensate": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Stop going forward and compensate; refused once the pivot has succeeded (PIVOT_PASSED), and while the pivot's outcome is unknown (PIVOT_OUTCOME_UNKNOWN) unless pivotOutcome states "not-applied". Each action names what the operator saw the saga wait on (`expected`, from `snapshot.pending`); if the saga has moved on since, it is refused with 409 SAGA_MOVED_ON and what the saga does now. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
            expected: {
              attempt: number;
              compensation: boolean;
              step: string;
            };
            /** @enum {string} */
            pivotOutcome?: "not-applied";
            reason: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/complete-wait": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Complete an await step's wait by hand, as if `event` had arrived with `payload`: its outcome (success or business failure) applies, and later steps read the payload. Also completes a wait whose deadline parked the saga; refused when the saga waits for no event (NOT_WAITING) or not for this one (EVENT_NOT_WAITED_FOR). Each action names what the operator saw the saga wait on (`expected`, from `snapshot.pending`); if the saga has moved on since, it is refused with 409 SAGA_MOVED_ON and what the saga does now. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
            event: string;
            expected: {
              attempt: number;
              compensation: boolean;
              step: string;
            };
            payload: {
              [key: string]: unknown;
            };
            reason: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/outbox": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description The saga's outbox rows (messages and HTTP calls) still in the table, oldest first: not yet sent, or sent and deleted with the next commit. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              attempts: number;
              availableAt: string;
              createdAt: string;
              destination: string;
              id: string;
              kind: string;
              lastError: string | null;
              message: unknown;
            }[];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/reopen-wait": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Open again an await step's wait that its deadline closed and parked the saga, with a fresh deadline (the next attempt); refused while it is still open (WAIT_STILL_OPEN). Each action names what the operator saw the saga wait on (`expected`, from `snapshot.pending`); if the saga has moved on since, it is refused with 409 SAGA_MOVED_ON and what the saga does now. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
            expected: {
              attempt: number;
              compensation: boolean;
              step: string;
            };
            reason: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/resolve": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Mark a saga that needs intervention as resolved by hand (`expected` is optional here). */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
            expected?: {
              attempt: number;
              compensation: boolean;
              step: string;
            };
            reason: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/retry": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Run the current step or compensation again now, with a fresh retry budget. Each action names what the operator saw the saga wait on (`expected`, from `snapshot.pending`); if the saga has moved on since, it is refused with 409 SAGA_MOVED_ON and what the saga does now. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
            expected: {
              attempt: number;
              compensation: boolean;
              step: string;
            };
            reason: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/skip": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Mark the current step done with the supplied output (or a stuck compensation done by hand), once it is parked or waiting to retry (STEP_IN_FLIGHT while its reply is awaited); refused for the pivot (PIVOT_NOT_SKIPPABLE): retry it. Each action names what the operator saw the saga wait on (`expected`, from `snapshot.pending`); if the saga has moved on since, it is refused with 409 SAGA_MOVED_ON and what the saga does now. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            actor: string;
            expected: {
              attempt: number;
              compensation: boolean;
              step: string;
            };
            output: {
              [key: string]: unknown;
            };
            reason: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{id}/timers": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description The saga's pending timers (step timeouts, retry delays, its deadline), soonest first. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              event: unknown;
              fireAt: string;
              id: string;
            }[];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** @description Start a saga. With an Idempotency-Key header, a repeated start returns the same saga. */
    post: {
      parameters: {
        query?: never;
        header?: {
          "idempotency-key"?: string;
        };
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": {
            input: unknown;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              created: boolean;
              /** Format: uuid */
              sagaId: string;
            };
          };
        };
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              created: boolean;
              /** Format: uuid */
              sagaId: string;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/counts": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description How many sagas are in each status, filtered by name and age. */
    get: {
      parameters: {
        query?: {
          createdAfter?: string;
          name?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              byStatus: {
                [key: string]: number;
              };
              total: number;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/in-flight": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Unfinished sagas (running, compensating, needs-intervention) counted by name, definition version and hash, status and state; a version with no row here can be retired. */
    get: {
      parameters: {
        query?: {
          name?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: {
                count: number;
                hash: string;
                name: string;
                state: string;
                /** @enum {string} */
                status: "running" | "compensating" | "needs-intervention";
                version: number;
              }[];
              statuses: string[];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/sagas/search": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Sagas, newest first, filtered by name, status, age (createdAfter) and text (`q`: a saga id prefix, or text anywhere in the input); paginated by cursor. */
    get: {
      parameters: {
        query?: {
          createdAfter?: string;
          cursor?: string;
          limit?: number;
          name?: string;
          q?: string;
          status?:
            | "running"
            | "compensating"
            | "completed"
            | "compensated"
            | "failed"
            | "needs-intervention"
            | "resolved";
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              items: {
                createdAt: string;
                id: string;
                name: string;
                state: string;
                /** @enum {string} */
                status:
                  | "running"
                  | "compensating"
                  | "completed"
                  | "compensated"
                  | "failed"
                  | "needs-intervention"
                  | "resolved";
                updatedAt: string;
                version: number;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              code: string;
              details?: unknown;
              message: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: never;
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
