/// The API reference the server serves at `GET /openapi.json` (OpenAPI 3.1): every route, its
/// auth, parameters, bodies, envelope and error codes. Keep it in step with the routes.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Switchboard",
        "version": "0.6.0",
        "summary": "LLM orchestration and CPaaS orchestrator API in one server.",
        "description": "Switchboard serves the LLM orchestration API (`/llm-orch/v1`) and the CPaaS orchestrator API (`/cpaas/v1`) from one process. This version serves health, metrics, this document, jobs, wallets, wallet top-ups, cron schedules, synchronous and streamed completions and batches, messages, templates, providers, the outbox relay and template sync.\n\n**Authentication.** Tenant routes need `Authorization: Bearer <JWT>` (claims `sub`, `tenantId`, `email`, `roles`, `planTier`, `iat`, `exp`); the tenant always comes from the `tenantId` claim, never from the body. Internal routes (`/_internal/*` and the CPaaS `/jobs/*` routes) need `x-internal-api-key` instead; a JWT is not accepted there. Health, `/metrics` and `/openapi.json` need no auth.\n\n**Envelope.** Every JSON response (except this document) is `{data, error, page, meta}`: on success `data` is the payload and `error` null; on error `data` is null and `error` is `{code, message, details?}` with a stable `code`; `page` is set on list responses only; `meta` is `{request_id, trace_id, tenant_id}`.\n\n**Headers.** Every response carries `x-request-id`. Tenant routes are rate limited per tenant by the `planTier` claim (429 `rate_limited` with `Retry-After`, `RateLimit`, `RateLimit-Policy`); every tenant-route response after authentication carries `RateLimit-Policy`. Request bodies must be `application/json` (batches also `application/x-ndjson`; 415 otherwise), at most 1 MiB by default, 64 MiB for batches (413), and arrive within 30 s (408).\n\n**Routing.** A known path called with a method it does not answer is 405 `method_not_allowed` with an `Allow` header; an unknown path is 404 `not_found`. Any route may answer 500 `internal_error` or 503 `unavailable`."
      },
      "servers": [
        {
          "url": "http://127.0.0.1:8080"
        }
      ],
      "tags": [
        {
          "name": "Health",
          "description": "Liveness and readiness, no auth."
        },
        {
          "name": "Operations",
          "description": "Metrics and this document, no auth."
        },
        {
          "name": "Jobs",
          "description": "The tenant's background jobs (bearer JWT)."
        },
        {
          "name": "Wallets",
          "description": "The caller's wallets and their ledgers (bearer JWT)."
        },
        {
          "name": "Internal",
          "description": "Operator routes (x-internal-api-key)."
        },
        {
          "name": "Schedules",
          "description": "Cron schedules of the job scheduler (x-internal-api-key)."
        },
        {
          "name": "Inference",
          "description": "LLM completions through the providers' routes."
        },
        {
          "name": "Messaging",
          "description": "Messages, templates and providers (bearer JWT)."
        }
      ],
      "security": [
        {
          "bearerAuth": []
        }
      ],
      "paths": {
        "/llm-orch/v1/health": {
          "get": {
            "operationId": "getLlmHealth",
            "tags": [
              "Health"
            ],
            "summary": "Health of the LLM orchestration API",
            "description": "Liveness and readiness: 200 while the store is open and the workers run (`status: degraded` with a `code` while the database refuses writes); 503 `storage_corrupt` once a damaged page of the database file was seen, until a restart on a sound file; 503 `unavailable` (with `Retry-After: 1`) while the runtime is starting or draining.",
            "security": [],
            "responses": {
              "200": {
                "description": "The server is ready.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/HealthEnvelope"
                    }
                  }
                }
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/cpaas/v1/_internal/healthz": {
          "get": {
            "operationId": "getCpaasHealth",
            "tags": [
              "Health"
            ],
            "summary": "Health of the CPaaS orchestrator API",
            "description": "Liveness and readiness: 200 while the store is open and the workers run (`status: degraded` with a `code` while the database refuses writes); 503 `storage_corrupt` once a damaged page of the database file was seen, until a restart on a sound file; 503 `unavailable` (with `Retry-After: 1`) while the runtime is starting or draining.",
            "security": [],
            "responses": {
              "200": {
                "description": "The server is ready.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/HealthEnvelope"
                    }
                  }
                }
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/metrics": {
          "get": {
            "operationId": "getMetrics",
            "tags": [
              "Operations"
            ],
            "summary": "Prometheus metrics",
            "description": "Metrics in the Prometheus text exposition format. No auth. Can be turned off in the configuration, in which case the path is 404.",
            "security": [],
            "responses": {
              "200": {
                "description": "Prometheus text format.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "text/plain; version=0.0.4": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/openapi.json": {
          "get": {
            "operationId": "getOpenAPI",
            "tags": [
              "Operations"
            ],
            "summary": "This API reference",
            "description": "This OpenAPI 3.1 document. No auth; not wrapped in the envelope.",
            "security": [],
            "responses": {
              "200": {
                "description": "The OpenAPI document.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/llm-orch/v1/_internal/wallets/credit": {
          "post": {
            "operationId": "creditWallet",
            "tags": [
              "Internal"
            ],
            "summary": "Add credit to a wallet",
            "description": "Adds credit to a tenant's team wallet or a user's wallet (a `credit` ledger entry), creating the wallet if needed. With an `Idempotency-Key` the key is also the ledger reference (`key:<key>`; keys over 251 bytes: `key-sha256:<hex>`), so a retry credits once even after a crash between the credit and the stored answer (then `applied` is false). Internal key only; a JWT is not accepted. Invalid fields are 400 `invalid_request` with `details.field` naming the field (`tenantId`, `wallet`, `amountUsd`, `reason`, `Idempotency-Key`).",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IdempotencyKey"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/CreditRequest"
                  },
                  "example": {
                    "tenantId": "7d2b3c4e-1f5a-4e6b-8c9d-0a1b2c3d4e5f",
                    "wallet": "team",
                    "amountUsd": "25.00",
                    "reason": "monthly top-up"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The credit was applied (or had been: see `applied`). A replay carries `Idempotency-Replayed: true`.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "Idempotency-Replayed": {
                    "$ref": "#/components/headers/IdempotencyReplayed"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/CreditEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "408": {
                "$ref": "#/components/responses/RequestTimeout"
              },
              "409": {
                "$ref": "#/components/responses/IdempotencyConflict"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "422": {
                "$ref": "#/components/responses/IdempotencyMismatch"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/cpaas/v1/jobs/schedules": {
          "get": {
            "operationId": "listSchedules",
            "tags": [
              "Schedules"
            ],
            "summary": "List cron schedules",
            "description": "Every cron schedule of the scheduler, with its last and next fire time. Internal key only.",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "responses": {
              "200": {
                "description": "The schedules.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ScheduleListEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/cpaas/v1/jobs/schedules/{name}": {
          "put": {
            "operationId": "putSchedule",
            "tags": [
              "Schedules"
            ],
            "summary": "Create or replace a cron schedule",
            "description": "Creates the schedule (201) or replaces the one of this name (200). Invalid input is 400 `invalid_request` with `details.field` one of `cron`, `timezone`, `kind`, `name`, `catchUp`, `payload`, `tenant` (or the body field that failed to decode). Internal key only.",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/ScheduleRequest"
                  },
                  "example": {
                    "cron": "0 3 * * *",
                    "timezone": "Europe/Paris",
                    "kind": "noop",
                    "payload": {
                      "report": "daily"
                    },
                    "enabled": true,
                    "catchUp": "coalesce"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "An existing schedule was replaced.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ScheduleEnvelope"
                    }
                  }
                }
              },
              "201": {
                "description": "The schedule was created.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ScheduleEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "408": {
                "$ref": "#/components/responses/RequestTimeout"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "delete": {
            "operationId": "deleteSchedule",
            "tags": [
              "Schedules"
            ],
            "summary": "Delete a cron schedule",
            "description": "Removes the schedule; jobs it already enqueued stay. Internal key only.",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "responses": {
              "200": {
                "description": "The schedule was deleted.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ScheduleDeletedEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/ScheduleName"
            }
          ]
        },
        "/cpaas/v1/jobs/schedules/{name}/run": {
          "post": {
            "operationId": "runSchedule",
            "tags": [
              "Schedules"
            ],
            "summary": "Run a schedule now",
            "description": "Enqueues one run of the schedule's job now, independent of its cron (also when disabled). No body. Internal key only.",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "responses": {
              "202": {
                "description": "The run was enqueued; `data` is the enqueued job.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/JobEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/ScheduleName"
            }
          ]
        },
        "/llm-orch/v1/jobs": {
          "get": {
            "operationId": "listJobs",
            "tags": [
              "Jobs"
            ],
            "summary": "List the tenant's jobs",
            "description": "The caller's tenant's jobs, newest first, paged; filter by `state` and `kind`.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/JobStateFilter"
              },
              {
                "$ref": "#/components/parameters/JobKindFilter"
              },
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of jobs.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/JobListEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            }
          ]
        },
        "/llm-orch/v1/jobs/{id}": {
          "get": {
            "operationId": "getJob",
            "tags": [
              "Jobs"
            ],
            "summary": "Get a job",
            "description": "One of the caller's tenant's jobs. Another tenant's job is 404, like one that does not exist.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The job.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/JobEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/JobId"
            }
          ]
        },
        "/llm-orch/v1/jobs/{id}/cancel": {
          "post": {
            "operationId": "cancelJob",
            "tags": [
              "Jobs"
            ],
            "summary": "Cancel a job",
            "description": "Cancels a job that has not finished. No body. A scheduled or queued job becomes `cancelled` at once; a running job stays `running` with `cancelRequested: true` until its worker stops it. A finished job is 409 `job_finished`.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The job after the cancel: `cancelled`, or `running` with `cancelRequested` true.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/JobEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "409": {
                "$ref": "#/components/responses/JobFinished"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/JobId"
            }
          ]
        },
        "/llm-orch/v1/wallets": {
          "get": {
            "operationId": "listWallets",
            "tags": [
              "Wallets"
            ],
            "summary": "The caller's wallets",
            "description": "The tenant's team wallet, then the caller's own user wallet: those that exist (possibly none).",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The wallets.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/WalletListEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            }
          ]
        },
        "/llm-orch/v1/wallets/{id}/ledger": {
          "get": {
            "operationId": "listLedgerEntries",
            "tags": [
              "Wallets"
            ],
            "summary": "A wallet's ledger",
            "description": "The ledger entries of one of the caller's wallets (the team wallet or the caller's own user wallet), newest first, paged.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of ledger entries.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/LedgerEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/WalletId"
            }
          ]
        },
        "/llm-orch/v1/inference/complete": {
          "post": {
            "operationId": "completeInference",
            "tags": [
              "Inference"
            ],
            "summary": "A synchronous completion",
            "description": "Validates, prices the worst case, checks `x-budget-max-usd` and the wallet (402 before anything is reserved or any provider called), then runs the completion as an `inference.complete` job: it reserves the worst case on the wallet, calls the route's providers (retries with backoff, fallback on 429/5xx/timeouts, circuit breakers, per-provider rate limits), settles to the actual usage and answers. The job is durable before any provider is called and finishes even if the client goes away.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IdempotencyKey"
              },
              {
                "$ref": "#/components/parameters/BudgetMaxUsd"
              },
              {
                "$ref": "#/components/parameters/Wallet"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/CompleteRequest"
                  },
                  "example": {
                    "prompt": "Say hello",
                    "maxTokens": 64,
                    "useCase": "chat"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The completion. Its cost is settled to the actual usage; a replay carries `Idempotency-Replayed: true` and charges nothing.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  },
                  "Idempotency-Replayed": {
                    "$ref": "#/components/headers/IdempotencyReplayed"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/CompleteEnvelope"
                    }
                  },
                  "text/event-stream": {
                    "schema": {
                      "type": "string",
                      "description": "Server-Sent Events: deltas, then `event: done` (CompleteResult JSON) or `event: error`."
                    },
                    "example": "data: {\"delta\":\"Hello\"}\n\ndata: {\"delta\":\" there\"}\n\nevent: done\ndata: {\"id\":\"6h0j1p3nm0000\",\"text\":\"Hello there\",\"model\":\"sim-small\",\"provider\":\"simulated\",\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":7,\"outputTokens\":2},\"costUsd\":\"0.000003\",\"wallet\":{\"id\":\"1\",\"balanceUsd\":\"99.999997\"}}\n\n"
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "402": {
                "description": "402 `insufficient_credits` (the wallet cannot cover the worst case) or `budget_exceeded` (the worst case is above `x-budget-max-usd`).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ErrorEnvelope"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "409": {
                "$ref": "#/components/responses/IdempotencyConflict"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "422": {
                "$ref": "#/components/responses/IdempotencyMismatch"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "502": {
                "$ref": "#/components/responses/ProviderUnavailable"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              },
              "504": {
                "$ref": "#/components/responses/GatewayTimeout"
              }
            }
          }
        },
        "/llm-orch/v1/inference/batches": {
          "post": {
            "operationId": "createBatch",
            "tags": [
              "Inference"
            ],
            "summary": "Submit a batch of completions",
            "description": "Up to 50,000 items, as JSON `{items:[…]}` or NDJSON (`application/x-ndjson`, one item per line; bodies up to 64 MiB). Everything is validated and priced first; the batch's worst case (the sum of its items') is checked against `x-budget-max-usd` and held on the wallet (402 refuses the whole batch), then every item is queued as an `inference.batch.item` job in one commit. Items fan out through the worker pool under the provider rate limits and tenant fairness; each is charged its actual cost out of the hold; what is left is released when the batch ends. Items not run within 24 h are cancelled and the batch ends `expired`.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IdempotencyKey"
              },
              {
                "$ref": "#/components/parameters/BudgetMaxUsd"
              },
              {
                "$ref": "#/components/parameters/Wallet"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/BatchRequest"
                  },
                  "example": {
                    "items": [
                      {
                        "customId": "q1",
                        "prompt": "Say hello",
                        "maxTokens": 64
                      },
                      {
                        "customId": "q2",
                        "prompt": "Say goodbye",
                        "maxTokens": 64,
                        "useCase": "chat"
                      }
                    ]
                  }
                },
                "application/x-ndjson": {
                  "schema": {
                    "type": "string",
                    "description": "One BatchItemRequest JSON object per line; blank lines are skipped."
                  },
                  "example": "{\"customId\":\"q1\",\"prompt\":\"Say hello\",\"maxTokens\":64}\n{\"customId\":\"q2\",\"prompt\":\"Say goodbye\",\"maxTokens\":64}\n"
                }
              }
            },
            "responses": {
              "202": {
                "description": "The batch, `in_progress`: every item is queued and its worst case held on the wallet. A replay carries `Idempotency-Replayed: true` and creates nothing.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  },
                  "Idempotency-Replayed": {
                    "$ref": "#/components/headers/IdempotencyReplayed"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/BatchEnvelope"
                    }
                  }
                }
              },
              "400": {
                "description": "400 `invalid_request`: the first invalid item, named by `details.line` (the NDJSON line, or the item's 1-based position in `items`) and `details.field`; duplicate or missing `customId` included. Nothing is held or queued.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ErrorEnvelope"
                    },
                    "example": {
                      "data": null,
                      "error": {
                        "code": "invalid_request",
                        "message": "line 3: customId 'a' is already used on line 1",
                        "details": {
                          "field": "customId",
                          "line": "3"
                        }
                      },
                      "page": null,
                      "meta": {
                        "request_id": "0f8e1c2d3b4a59687766554433221100",
                        "trace_id": "0f8e1c2d3b4a59687766554433221100",
                        "tenant_id": "demo"
                      }
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "402": {
                "description": "402 `insufficient_credits` (the wallet cannot cover the batch's worst case) or `budget_exceeded` (it is above `x-budget-max-usd`); nothing is held or queued.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ErrorEnvelope"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "409": {
                "$ref": "#/components/responses/IdempotencyConflict"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "422": {
                "$ref": "#/components/responses/IdempotencyMismatch"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "get": {
            "operationId": "listBatches",
            "tags": [
              "Inference"
            ],
            "summary": "The tenant's batches",
            "description": "Newest first, paged by cursor, with live progress.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of batches.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/BatchListEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            }
          ]
        },
        "/llm-orch/v1/inference/batches/{id}": {
          "get": {
            "operationId": "getBatch",
            "tags": [
              "Inference"
            ],
            "summary": "A batch and its progress",
            "description": "`requestCounts` and `costUsd` are live while the batch runs and frozen once it ends.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The batch.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/BatchEnvelope"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/BatchId"
            }
          ]
        },
        "/llm-orch/v1/inference/batches/{id}/results": {
          "get": {
            "operationId": "getBatchResults",
            "tags": [
              "Inference"
            ],
            "summary": "A batch's results",
            "description": "Every item in submission order, paged by cursor: `completed` items with text, usage and cost; `failed` with `error {code, message}`; `pending`, `running`, `cancelled` or `expired` otherwise. Pages are stable while the batch runs.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of results.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/BatchResultListEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/BatchId"
            }
          ]
        },
        "/llm-orch/v1/inference/batches/{id}/cancel": {
          "post": {
            "operationId": "cancelBatch",
            "tags": [
              "Inference"
            ],
            "summary": "Cancel a batch",
            "description": "No body. Items not started are cancelled at once; running items finish and stay charged. The batch is `cancelling` until they have, then `cancelled` with the rest of its hold released.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The batch after the cancel, `cancelling`.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/BatchEnvelope"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "409": {
                "$ref": "#/components/responses/BatchFinished"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/BatchId"
            }
          ]
        },
        "/cpaas/v1/providers": {
          "get": {
            "operationId": "listProviders",
            "tags": [
              "Messaging"
            ],
            "summary": "Messaging providers",
            "description": "Each provider with the channels it sends, its state and its limits.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The providers.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ProviderListEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            }
          ]
        },
        "/cpaas/v1/messages": {
          "post": {
            "operationId": "sendMessage",
            "tags": [
              "Messaging"
            ],
            "summary": "Send a message",
            "description": "Validates the channel, the address (E.164 for sms/whatsapp, addr-spec for email), body or template + variables (every template variable, no unknown ones; WhatsApp templates must be approved) and `sendAt`; prices it (per SMS segment: GSM-7 160/153, else UCS-2 70/67); holds the price on the team wallet; writes the message and its outbox row in one commit and answers 202 `queued`. The outbox relay sends it (the message id is the provider-side dedupe reference), retries transient failures with backoff, fails permanent ones with the provider's code, and sends each recipient's messages in order.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IdempotencyKey"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/MessageRequest"
                  },
                  "example": {
                    "channel": "sms",
                    "to": "+14155550100",
                    "body": "Your order has shipped"
                  }
                }
              }
            },
            "responses": {
              "202": {
                "description": "The message, `queued`: written with its outbox row in one commit, its price held on the team wallet. A replay (same Idempotency-Key, ever) returns the same message with `Idempotency-Replayed: true`.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  },
                  "Idempotency-Replayed": {
                    "$ref": "#/components/headers/IdempotencyReplayed"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/MessageEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "402": {
                "description": "402 `insufficient_credits`: the team wallet cannot cover the message's price.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ErrorEnvelope"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "409": {
                "$ref": "#/components/responses/IdempotencyConflict"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "422": {
                "$ref": "#/components/responses/IdempotencyMismatch"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "get": {
            "operationId": "listMessages",
            "tags": [
              "Messaging"
            ],
            "summary": "The tenant's messages",
            "description": "Newest first, paged by cursor.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/MessageStatusFilter"
              },
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of messages.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/MessageListEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            }
          ]
        },
        "/cpaas/v1/messages/{id}": {
          "get": {
            "operationId": "getMessage",
            "tags": [
              "Messaging"
            ],
            "summary": "A message and its status history",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "responses": {
              "200": {
                "description": "The message.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/MessageEnvelope"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            },
            {
              "$ref": "#/components/parameters/MessageId"
            }
          ]
        },
        "/cpaas/v1/templates": {
          "get": {
            "operationId": "listTemplates",
            "tags": [
              "Messaging"
            ],
            "summary": "Synced templates",
            "description": "Templates synced from the providers (every 15 minutes and on POST /_internal/sync-templates), by id, paged by cursor. Removed ones only with `includeRemoved=true`.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/ChannelFilter"
              },
              {
                "$ref": "#/components/parameters/IncludeRemoved"
              },
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of templates.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  },
                  "RateLimit-Policy": {
                    "$ref": "#/components/headers/RateLimitPolicy"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/TemplateListEnvelope"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            },
            {
              "$ref": "#/components/parameters/TenantId"
            }
          ]
        },
        "/cpaas/v1/webhooks/twilio/status": {
          "post": {
            "operationId": "twilioStatusCallback",
            "tags": [
              "Webhooks"
            ],
            "summary": "Twilio status callback",
            "description": "Twilio posts a message's delivery status here (the send asks for it with `StatusCallback`, our message id in the query `m`). Authenticated by `X-Twilio-Signature` alone: base64 HMAC-SHA1, keyed by the auth token of the account in `AccountSid`, over the public URL (configured, query included) and the form fields sorted by name. A bad or missing signature is 403 and changes nothing. A verified report is stored once (by `MessageSid` and status) with the job that applies it; a message's status only moves forward. `data.recorded` is false for a repeat.",
            "security": [],
            "parameters": [
              {
                "name": "X-Twilio-Signature",
                "in": "header",
                "required": true,
                "schema": {
                  "type": "string"
                }
              },
              {
                "name": "m",
                "in": "query",
                "required": false,
                "description": "Our message id, as the send put it in the callback URL.",
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/x-www-form-urlencoded": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "AccountSid",
                      "MessageSid",
                      "MessageStatus"
                    ],
                    "properties": {
                      "AccountSid": {
                        "type": "string"
                      },
                      "MessageSid": {
                        "type": "string"
                      },
                      "MessageStatus": {
                        "type": "string",
                        "description": "queued, sending, sent, delivered, undelivered, failed, read, …"
                      },
                      "ErrorCode": {
                        "type": "string"
                      }
                    },
                    "additionalProperties": true
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "Stored (or already stored).",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "object",
                          "required": [
                            "recorded"
                          ],
                          "properties": {
                            "recorded": {
                              "type": "boolean"
                            }
                          }
                        },
                        "error": {},
                        "page": {},
                        "meta": {}
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/webhooks/twilio/inbound": {
          "post": {
            "operationId": "twilioInbound",
            "tags": [
              "Webhooks"
            ],
            "summary": "Twilio inbound message",
            "description": "An SMS or WhatsApp reply, signed like a status callback (`X-Twilio-Signature`; bad or missing is 403). A body of STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT puts `From` on the suppression list of every tenant that sent to it from `To`; START, YES or UNSTOP takes it off. `data.subscription` is `opted_out`, `opted_in` or `unchanged`.",
            "security": [],
            "parameters": [
              {
                "name": "X-Twilio-Signature",
                "in": "header",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/x-www-form-urlencoded": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "AccountSid",
                      "From",
                      "To"
                    ],
                    "properties": {
                      "AccountSid": {
                        "type": "string"
                      },
                      "From": {
                        "type": "string"
                      },
                      "To": {
                        "type": "string"
                      },
                      "Body": {
                        "type": "string"
                      }
                    },
                    "additionalProperties": true
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "Applied.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "object",
                          "required": [
                            "subscription"
                          ],
                          "properties": {
                            "subscription": {
                              "type": "string",
                              "enum": [
                                "opted_out",
                                "opted_in",
                                "unchanged"
                              ]
                            }
                          }
                        },
                        "error": {},
                        "page": {},
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/suppressions": {
          "get": {
            "operationId": "listSuppressions",
            "tags": [
              "Messaging"
            ],
            "summary": "The tenant's suppressed recipients",
            "description": "Recipients this tenant must not send to, per channel, newest first, paged by cursor. A send to one is 422 `recipient_suppressed` before anything is held or charged.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of suppressions.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "array",
                          "items": {
                            "type": "object",
                            "required": [
                              "channel",
                              "address",
                              "reason",
                              "createdAt"
                            ],
                            "properties": {
                              "channel": {
                                "type": "string",
                                "enum": [
                                  "sms",
                                  "email",
                                  "whatsapp"
                                ]
                              },
                              "address": {
                                "type": "string"
                              },
                              "reason": {
                                "type": "string",
                                "description": "`replied STOP`, `provider error 21610: …`"
                              },
                              "createdAt": {
                                "type": "string",
                                "format": "date-time"
                              }
                            }
                          }
                        },
                        "error": {},
                        "page": {},
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/suppressions/{channel}/{address}": {
          "delete": {
            "operationId": "deleteSuppression",
            "tags": [
              "Messaging"
            ],
            "summary": "Take a recipient off the list",
            "description": "The address percent-encoded (`%2B14155550100`). 404 when it is not on the list.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "name": "channel",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string",
                  "enum": [
                    "sms",
                    "email",
                    "whatsapp"
                  ]
                }
              },
              {
                "name": "address",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Removed.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "object",
                          "required": [
                            "removed"
                          ],
                          "properties": {
                            "removed": {
                              "type": "boolean"
                            }
                          }
                        },
                        "error": {},
                        "page": {},
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/webhooks/sendgrid/events": {
          "post": {
            "operationId": "sendGridEvents",
            "tags": [
              "Webhooks"
            ],
            "summary": "SendGrid Event Webhook",
            "description": "A JSON array of SendGrid events, authenticated by `X-Twilio-Email-Event-Webhook-Signature` (base64 DER ECDSA P-256 / SHA-256 over the `X-Twilio-Email-Event-Webhook-Timestamp` text followed by the raw body, checked with a configured account's verification key); a bad, missing or more than 5 minutes old signature is 403 and changes nothing. Each event is stored once (by `sg_event_id`) and applied by a job: `processed` sent, `delivered`, `bounce` undelivered, `dropped` failed (forward only); `bounce`, `unsubscribe`, `group_unsubscribe` and `spamreport` also suppress the recipient for the message's tenant. Events find their message by the custom arg `switchboard_message_id`. `data.recorded` counts the new ones.",
            "security": [],
            "parameters": [
              {
                "name": "X-Twilio-Email-Event-Webhook-Signature",
                "in": "header",
                "required": true,
                "schema": {
                  "type": "string"
                }
              },
              {
                "name": "X-Twilio-Email-Event-Webhook-Timestamp",
                "in": "header",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "event": {
                          "type": "string"
                        },
                        "sg_event_id": {
                          "type": "string"
                        },
                        "sg_message_id": {
                          "type": "string"
                        },
                        "switchboard_message_id": {
                          "type": "string"
                        }
                      },
                      "additionalProperties": true
                    }
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "Stored.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "object",
                          "required": [
                            "recorded"
                          ],
                          "properties": {
                            "recorded": {
                              "type": "integer"
                            }
                          }
                        },
                        "error": {},
                        "page": {},
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/_internal/process-outbox": {
          "post": {
            "operationId": "processOutbox",
            "tags": [
              "Internal"
            ],
            "summary": "Run the outbox relay now",
            "description": "Passes over the outbox until nothing is due (safe beside the running relay: rows are leased). No body.",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "responses": {
              "200": {
                "description": "What the passes did, and the rows left.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/OutboxReportEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/cpaas/v1/_internal/sync-templates": {
          "post": {
            "operationId": "syncTemplates",
            "tags": [
              "Internal"
            ],
            "summary": "Sync templates now",
            "description": "Pages through every provider's templates: upserts by (provider, name, language), marks removed what a complete listing no longer has; a provider that fails mid-listing keeps what was synced and is named in `failures`. No body.",
            "security": [
              {
                "internalApiKey": []
              }
            ],
            "responses": {
              "200": {
                "description": "What the sync did.",
                "headers": {
                  "x-request-id": {
                    "$ref": "#/components/headers/XRequestId"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/SyncReportEnvelope"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              },
              "503": {
                "$ref": "#/components/responses/Unavailable"
              }
            }
          },
          "parameters": [
            {
              "$ref": "#/components/parameters/RequestId"
            },
            {
              "$ref": "#/components/parameters/Traceparent"
            }
          ]
        },
        "/cpaas/v1/webhook-endpoints": {
          "get": {
            "operationId": "listWebhookEndpoints",
            "tags": [
              "Messaging"
            ],
            "summary": "The tenant's webhook endpoints",
            "description": "Newest first, paged by cursor; secrets are never shown again.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of endpoints.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/WebhookEndpoint"
                          }
                        },
                        "error": {},
                        "page": {
                          "$ref": "#/components/schemas/Page"
                        },
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          },
          "post": {
            "operationId": "createWebhookEndpoint",
            "tags": [
              "Messaging"
            ],
            "summary": "Add a webhook endpoint",
            "description": "Events are delivered at least once with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`), retried after 5 s, 5 min, 30 min, 2 h, 5 h and then every 10 h for 24 h. The answer carries the signing secret, shown this once.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IdempotencyKey"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/WebhookEndpointRequest"
                  }
                }
              }
            },
            "responses": {
              "201": {
                "description": "Created, with its secret.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "$ref": "#/components/schemas/WebhookEndpoint"
                        },
                        "error": {},
                        "page": {},
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "403": {
                "$ref": "#/components/responses/Forbidden"
              },
              "409": {
                "description": "The tenant has as many endpoints as it may (`too_many_endpoints`).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ErrorEnvelope"
                    }
                  }
                }
              },
              "413": {
                "$ref": "#/components/responses/PayloadTooLarge"
              },
              "415": {
                "$ref": "#/components/responses/UnsupportedMediaType"
              },
              "422": {
                "description": "The URL may not be called (`url_not_allowed`): not https, user info, or a private, loopback or link-local address.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ErrorEnvelope"
                    }
                  }
                }
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/webhook-endpoints/{id}": {
          "delete": {
            "operationId": "deleteWebhookEndpoint",
            "tags": [
              "Messaging"
            ],
            "summary": "Delete a webhook endpoint",
            "description": "No new deliveries; its pending ones end `failed`. 404 for another tenant's endpoint.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string",
                  "pattern": "^we_"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Deleted.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "object",
                          "required": [
                            "deleted"
                          ],
                          "properties": {
                            "deleted": {
                              "type": "boolean"
                            }
                          }
                        },
                        "error": {},
                        "page": {},
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        },
        "/cpaas/v1/webhook-endpoints/{id}/deliveries": {
          "get": {
            "operationId": "listWebhookDeliveries",
            "tags": [
              "Messaging"
            ],
            "summary": "An endpoint's delivery log",
            "description": "Newest first, paged by cursor: each event's delivery with its attempts, status codes and next retry.",
            "security": [
              {
                "bearerAuth": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string",
                  "pattern": "^we_"
                }
              },
              {
                "$ref": "#/components/parameters/Limit"
              },
              {
                "$ref": "#/components/parameters/Cursor"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of deliveries.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "data",
                        "error",
                        "page",
                        "meta"
                      ],
                      "properties": {
                        "data": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/WebhookDelivery"
                          }
                        },
                        "error": {},
                        "page": {
                          "$ref": "#/components/schemas/Page"
                        },
                        "meta": {
                          "$ref": "#/components/schemas/Meta"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/InvalidRequest"
              },
              "401": {
                "$ref": "#/components/responses/Unauthorized"
              },
              "404": {
                "$ref": "#/components/responses/NotFound"
              },
              "429": {
                "$ref": "#/components/responses/RateLimited"
              },
              "500": {
                "$ref": "#/components/responses/InternalError"
              }
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT from the external auth service (RS256/ES256 in production, HS256 in development) with claims `sub`, `tenantId`, `email`, `roles`, `planTier`, `iat`, `exp`. Expired, not-yet-valid, badly signed, wrongly-algorithmed (`none`, HS/RS confusion) or malformed tokens are 401 `unauthorized`."
          },
          "internalApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "x-internal-api-key",
            "description": "The operators' shared key (compared in constant time). Missing or wrong is 401 `unauthorized`; a bearer JWT is not accepted instead."
          }
        },
        "parameters": {
          "RequestId": {
            "name": "x-request-id",
            "in": "header",
            "required": false,
            "description": "The client's request id, kept when it is 1-128 visible ASCII characters (else replaced by a new UUID); echoed in the `x-request-id` response header and `meta.request_id`.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[!-~]+$"
            }
          },
          "Traceparent": {
            "name": "traceparent",
            "in": "header",
            "required": false,
            "description": "W3C trace context; its trace id becomes `meta.trace_id`. A malformed value is ignored (a new trace id is made).",
            "schema": {
              "type": "string",
              "example": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            }
          },
          "TenantId": {
            "name": "x-tenant-id",
            "in": "header",
            "required": false,
            "description": "Explicit tenant (recommended). When sent it must equal the token's `tenantId` claim, else 403 `forbidden`. The tenant always comes from the token.",
            "schema": {
              "type": "string"
            }
          },
          "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Makes the write repeat-safe for 24 h: the first request with a key runs and its 2xx answer is stored; the same key with the same method, path and body replays that answer with `Idempotency-Replayed: true`; with another body it is 422 `idempotency_mismatch`; while the first is still running it is 409 `idempotency_conflict`. A non-2xx answer is not stored. 1-255 printable ASCII characters, else 400 `invalid_request` (`details.field` = `Idempotency-Key`).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255,
              "pattern": "^[ -~]+$"
            }
          },
          "Limit": {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size, 1-100 (400 `invalid_request` otherwise).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100,
              "default": 20
            }
          },
          "Cursor": {
            "name": "cursor",
            "in": "query",
            "required": false,
            "description": "Opaque cursor from the previous page's `page.next_cursor`; a cursor this list did not give out is 400 `invalid_request`.",
            "schema": {
              "type": "string",
              "maxLength": 200
            }
          },
          "JobStateFilter": {
            "name": "state",
            "in": "query",
            "required": false,
            "description": "Only jobs in these states: one or more of scheduled, queued, running, succeeded, failed, dead, cancelled, comma-separated (an unknown state is 400 `invalid_request`).",
            "schema": {
              "type": "string",
              "pattern": "^(scheduled|queued|running|succeeded|failed|dead|cancelled)(,(scheduled|queued|running|succeeded|failed|dead|cancelled))*$",
              "example": "queued,running"
            }
          },
          "JobKindFilter": {
            "name": "kind",
            "in": "query",
            "required": false,
            "description": "Only jobs of this kind (at most 200 bytes).",
            "schema": {
              "type": "string",
              "maxLength": 200,
              "example": "noop"
            }
          },
          "JobId": {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The job's id (13 Crockford base32 characters, either case). An id that is malformed, does not exist or is another tenant's is 404 `not_found`.",
            "schema": {
              "type": "string",
              "example": "01hq3v7m2k8xz"
            }
          },
          "WalletId": {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The wallet's id from `GET /llm-orch/v1/wallets`. Anything other than one of the caller's wallets (team or own user wallet) is 404 `not_found`.",
            "schema": {
              "type": "string",
              "example": "42"
            }
          },
          "ScheduleName": {
            "name": "name",
            "in": "path",
            "required": true,
            "description": "The schedule's name: 1-100 characters of letters, digits, '.', '_' or '-'.",
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9._-]{1,100}$",
              "example": "nightly-report"
            }
          },
          "BudgetMaxUsd": {
            "name": "x-budget-max-usd",
            "in": "header",
            "required": false,
            "description": "Cost ceiling in USD for this operation, a decimal string (at most 6 decimals). A request whose worst-case cost (input estimate + every allowed output token, at the dearest model of its route) exceeds it is refused with 402 `budget_exceeded` before anything is reserved or any provider called.",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+(\\.[0-9]{1,6})?$",
              "example": "0.05"
            }
          },
          "Wallet": {
            "name": "x-wallet",
            "in": "header",
            "required": false,
            "description": "Which wallet pays: `team` or `user`. Default: the caller's user wallet when it exists and covers the worst case, else the team wallet.",
            "schema": {
              "type": "string",
              "enum": [
                "team",
                "user"
              ]
            }
          },
          "BatchId": {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The batch's id (`batch_…`). An id that does not exist or is another tenant's is 404 `not_found`.",
            "schema": {
              "type": "string",
              "example": "batch_3f9c0e1a7b2d4c5e6f708192"
            }
          },
          "MessageId": {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The message's id (`msg_…`); another tenant's is 404.",
            "schema": {
              "type": "string"
            }
          },
          "MessageStatusFilter": {
            "name": "status",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "queued",
                "sending",
                "sent",
                "delivered",
                "failed",
                "undelivered",
                "cancelled"
              ]
            }
          },
          "ChannelFilter": {
            "name": "channel",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "sms",
                "email",
                "whatsapp"
              ]
            }
          },
          "IncludeRemoved": {
            "name": "includeRemoved",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          }
        },
        "headers": {
          "XRequestId": {
            "description": "The request id (the client's valid `x-request-id`, else a new UUID); the same as `meta.request_id`.",
            "schema": {
              "type": "string"
            }
          },
          "RateLimitPolicy": {
            "description": "The tenant's plan quota, IETF draft syntax: `\"<plan>\";q=<burst>;w=1`.",
            "schema": {
              "type": "string",
              "example": "\"professional\";q=400;w=1"
            }
          },
          "RateLimit": {
            "description": "The remaining quota, IETF draft syntax: `\"<plan>\";r=<remaining>;t=<seconds until reset>`.",
            "schema": {
              "type": "string",
              "example": "\"professional\";r=0;t=1"
            }
          },
          "RetryAfter": {
            "description": "Seconds to wait before retrying.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "example": 1
            }
          },
          "Allow": {
            "description": "The methods the path answers, comma-separated.",
            "schema": {
              "type": "string",
              "example": "GET, PUT"
            }
          },
          "WWWAuthenticate": {
            "description": "`Bearer` on tenant routes.",
            "schema": {
              "type": "string",
              "example": "Bearer"
            }
          },
          "IdempotencyReplayed": {
            "description": "Present (`true`) when the response is the stored answer of an earlier request with the same `Idempotency-Key`; nothing ran again.",
            "schema": {
              "type": "string",
              "enum": [
                "true"
              ]
            }
          }
        },
        "responses": {
          "BudgetExceeded": {
            "description": "402 `budget_exceeded`: The operation's worst-case cost exceeds the `x-budget-max-usd` ceiling; nothing was called or charged.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "budget_exceeded",
                    "message": "the worst-case cost 0.08 USD exceeds x-budget-max-usd 0.05"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "Forbidden": {
            "description": "403 `forbidden`: The `x-tenant-id` header names another tenant than the token's `tenantId` claim.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "forbidden",
                    "message": "x-tenant-id does not match the token's tenant"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "IdempotencyConflict": {
            "description": "409 `idempotency_conflict`: A request with this `Idempotency-Key` is still in progress; retry later.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "idempotency_conflict",
                    "message": "a request with this Idempotency-Key is still in progress; retry later"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "IdempotencyMismatch": {
            "description": "422 `idempotency_mismatch`: This `Idempotency-Key` was already used with a different request (method, path or body); use a new key for a new request.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "idempotency_mismatch",
                    "message": "this Idempotency-Key was used with a different request; use a new key for a new request"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "InsufficientCredits": {
            "description": "402 `insufficient_credits`: The wallet that would pay does not hold enough available credit.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "insufficient_credits",
                    "message": "wallet team has 0.01 USD available, needed 0.05 USD"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "InternalError": {
            "description": "500 `internal_error`: The server failed to answer; the request id identifies the failure in the server's logs.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "internal_error",
                    "message": "the server failed to answer; the request id identifies it in the logs"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "InvalidRequest": {
            "description": "400 `invalid_request`: The request is malformed or a field is invalid; `details.field` names the field (a body field, a query parameter or a header) when there is one.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "invalid_request",
                    "message": "limit must be an integer from 1 to 100",
                    "details": {
                      "field": "limit"
                    }
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "JobFinished": {
            "description": "409 `job_finished`: The job already reached a final state (succeeded, failed, dead or cancelled); there is nothing to cancel.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "job_finished",
                    "message": "the job already finished (succeeded); nothing to cancel"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "MethodNotAllowed": {
            "description": "405 `method_not_allowed`: The path exists but does not answer this method; `Allow` lists the methods it answers.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              },
              "Allow": {
                "$ref": "#/components/headers/Allow"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "method_not_allowed",
                    "message": "PATCH is not allowed here; use GET"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "NotFound": {
            "description": "404 `not_found`: No such resource for this caller (another tenant's resource is indistinguishable from one that does not exist), or no such route.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "not_found",
                    "message": "no job with this id"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "PayloadTooLarge": {
            "description": "413 `payload_too_large`: The request body is larger than the server's limit (1 MiB by default); `details.limitBytes` gives the limit.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "payload_too_large",
                    "message": "the request body is larger than the limit of 1048576 bytes",
                    "details": {
                      "limitBytes": "1048576"
                    }
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "RateLimited": {
            "description": "429 `rate_limited`: The tenant exceeded its plan tier's request rate. `Retry-After` (and `details.retryAfterSeconds`) says when to retry; `RateLimit` and `RateLimit-Policy` follow the IETF RateLimit header fields draft.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              },
              "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
              },
              "RateLimit": {
                "$ref": "#/components/headers/RateLimit"
              },
              "RateLimit-Policy": {
                "$ref": "#/components/headers/RateLimitPolicy"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "rate_limited",
                    "message": "the professional plan allows 200 requests per second",
                    "details": {
                      "retryAfterSeconds": "1"
                    }
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "RequestTimeout": {
            "description": "408 `request_timeout`: The request body did not arrive completely within the body read timeout (30 s by default).",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "request_timeout",
                    "message": "the request body did not arrive within 30 seconds"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "Unauthorized": {
            "description": "401 `unauthorized`: Missing or invalid credentials: on tenant routes any bearer token problem (absent, malformed, expired, not yet valid, bad signature, wrong or `none` algorithm), answered with `WWW-Authenticate: Bearer`; on internal routes a missing or wrong `x-internal-api-key` (a JWT is not accepted there).",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              },
              "WWW-Authenticate": {
                "$ref": "#/components/headers/WWWAuthenticate"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "unauthorized",
                    "message": "a bearer token is required"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "Unavailable": {
            "description": "503 `unavailable`: The server is starting, draining or shutting down, or its database is busy, full or read-only; retry later (`Retry-After` when known).",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              },
              "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "unavailable",
                    "message": "the runtime is draining"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "UnsupportedMediaType": {
            "description": "415 `unsupported_media_type`: The request body's `Content-Type` is missing or is not `application/json`.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "unsupported_media_type",
                    "message": "Content-Type must be application/json"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          },
          "ProviderUnavailable": {
            "description": "502 `provider_unavailable`: No provider of the route answered (5xx, timeouts, open breakers); the reservation was released.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "provider_unavailable",
                    "message": "no provider answered: simulated/sim-small: simulated 503"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": "7d2b3c4e-1f5a-4e6b-8c9d-0a1b2c3d4e5f"
                  }
                }
              }
            }
          },
          "GatewayTimeout": {
            "description": "504 `timeout`: The completion did not finish within the request deadline; it goes on as the job in `details.jobId`.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "timeout",
                    "message": "the completion did not finish in time; it goes on as job 6h0hk06fm0000"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": "7d2b3c4e-1f5a-4e6b-8c9d-0a1b2c3d4e5f"
                  }
                }
              }
            }
          },
          "BatchFinished": {
            "description": "409 `batch_finished`: the batch already ended (completed, failed, cancelled or expired); there is nothing to cancel.",
            "headers": {
              "x-request-id": {
                "$ref": "#/components/headers/XRequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope"
                },
                "example": {
                  "data": null,
                  "error": {
                    "code": "batch_finished",
                    "message": "the batch already ended (completed); nothing to cancel"
                  },
                  "page": null,
                  "meta": {
                    "request_id": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "tenant_id": null
                  }
                }
              }
            }
          }
        },
        "schemas": {
          "Meta": {
            "type": "object",
            "description": "Who asked and how to find the request in logs and traces.",
            "required": [
              "request_id",
              "trace_id",
              "tenant_id"
            ],
            "properties": {
              "request_id": {
                "type": "string",
                "description": "The request id, also echoed in the `x-request-id` response header: the client's `x-request-id` when it is 1-128 visible ASCII characters, else a new UUID.",
                "example": "3f1c9a52-8d7e-4b1a-9c3e-2f6d5a4b7c81"
              },
              "trace_id": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$",
                "description": "W3C trace id: taken from the request's `traceparent` when it is valid, else new.",
                "example": "4bf92f3577b34da6a3ce929d0e0e4736"
              },
              "tenant_id": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The caller's tenant (the token's `tenantId`); null on open and internal routes and before authentication.",
                "example": "7d2b3c4e-1f5a-4e6b-8c9d-0a1b2c3d4e5f"
              }
            }
          },
          "Page": {
            "type": "object",
            "description": "Paging facts of a list response. Pass `next_cursor` as `cursor` to get the next page; cursors are opaque, belong to one list, and stay stable while new rows are inserted.",
            "required": [
              "next_cursor",
              "has_more",
              "limit"
            ],
            "properties": {
              "next_cursor": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "Cursor of the next page; null on the last page.",
                "example": "am9iczoxMjM0NQ"
              },
              "has_more": {
                "type": "boolean",
                "description": "Whether more rows follow this page."
              },
              "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "description": "The page size used."
              }
            }
          },
          "ErrorCode": {
            "type": "string",
            "description": "Stable machine-readable error code; clients switch on it. invalid_request 400, unauthorized 401, insufficient_credits 402, budget_exceeded 402, forbidden 403, not_found 404, method_not_allowed 405, request_timeout 408, idempotency_conflict 409, job_finished 409, batch_finished 409, payload_too_large 413, unsupported_media_type 415, idempotency_mismatch 422, rate_limited 429, internal_error 500, provider_unavailable 502, unavailable 503, timeout 504; cancelled 409 (a cancelled completion); recipient_suppressed 422 (the recipient opted out); storage_corrupt 503 (health, a damaged database file).",
            "enum": [
              "invalid_request",
              "unauthorized",
              "insufficient_credits",
              "budget_exceeded",
              "forbidden",
              "not_found",
              "method_not_allowed",
              "request_timeout",
              "idempotency_conflict",
              "job_finished",
              "batch_finished",
              "payload_too_large",
              "unsupported_media_type",
              "idempotency_mismatch",
              "rate_limited",
              "internal_error",
              "unavailable",
              "provider_unavailable",
              "timeout",
              "cancelled",
              "recipient_suppressed",
              "storage_corrupt",
              "url_not_allowed",
              "too_many_endpoints"
            ]
          },
          "Error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "$ref": "#/components/schemas/ErrorCode"
              },
              "message": {
                "type": "string",
                "description": "What went wrong, for people."
              },
              "details": {
                "type": "object",
                "additionalProperties": {
                  "type": "string"
                },
                "description": "Optional facts about the error, e.g. `field` (the field at fault), `retryAfterSeconds`, `limitBytes`. Absent when there are none."
              }
            }
          },
          "ErrorEnvelope": {
            "type": "object",
            "description": "The envelope of every error response: `data` and `page` null, `error` set.",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "null"
              },
              "error": {
                "$ref": "#/components/schemas/Error"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "AnyJSON": {
            "description": "Any JSON value."
          },
          "Usd": {
            "type": "string",
            "pattern": "^[0-9]+\\.[0-9]{2,6}$",
            "description": "An amount of USD as an exact decimal string with 2 to 6 decimals.",
            "example": "25.00"
          },
          "SignedUsd": {
            "type": "string",
            "pattern": "^-?[0-9]+\\.[0-9]{2,6}$",
            "description": "A signed amount of USD as an exact decimal string with 2 to 6 decimals; negative for money taken out.",
            "example": "-0.05"
          },
          "JobState": {
            "type": "string",
            "description": "Where a job is in its life: (scheduled ->) queued -> running -> succeeded | failed | dead | cancelled. A failed attempt with attempts left goes back to scheduled until its backoff has passed.",
            "enum": [
              "scheduled",
              "queued",
              "running",
              "succeeded",
              "failed",
              "dead",
              "cancelled"
            ]
          },
          "Job": {
            "type": "object",
            "required": [
              "id",
              "kind",
              "state",
              "priority",
              "attempts",
              "maxAttempts",
              "cancelRequested",
              "payload",
              "result",
              "lastError",
              "batchId",
              "runAt",
              "createdAt",
              "updatedAt",
              "startedAt",
              "finishedAt"
            ],
            "properties": {
              "id": {
                "type": "string",
                "pattern": "^[0-9a-hjkmnp-tv-z]{13}$",
                "description": "13 characters of Crockford base32 (lower case); string order is creation order.",
                "example": "01hq3v7m2k8xz"
              },
              "kind": {
                "type": "string",
                "description": "The registered job kind.",
                "example": "noop"
              },
              "state": {
                "$ref": "#/components/schemas/JobState"
              },
              "priority": {
                "type": "integer",
                "minimum": -1000,
                "maximum": 1000,
                "description": "Higher runs first."
              },
              "attempts": {
                "type": "integer",
                "minimum": 0,
                "description": "Attempts started so far."
              },
              "maxAttempts": {
                "type": "integer",
                "minimum": 1
              },
              "cancelRequested": {
                "type": "boolean",
                "description": "True when a cancel was asked while the job was running; the worker stops it at its next check."
              },
              "payload": {
                "description": "The job's input (any JSON)."
              },
              "result": {
                "description": "The job's result (any JSON), or null until it succeeds."
              },
              "lastError": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The last attempt's error message."
              },
              "batchId": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The batch the job belongs to, if any."
              },
              "runAt": {
                "type": "string",
                "format": "date-time",
                "description": "When the job is (or was) due to run.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "createdAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "updatedAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "startedAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time",
                "description": "When the latest attempt started; null before the first.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "finishedAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time",
                "description": "When the job reached a final state; null before.",
                "example": "2026-11-23T14:03:52.123Z"
              }
            }
          },
          "Wallet": {
            "type": "object",
            "required": [
              "id",
              "type",
              "owner",
              "balanceUsd",
              "reservedUsd",
              "availableUsd"
            ],
            "properties": {
              "id": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "The wallet's id (decimal digits); use it in `/wallets/{id}/ledger`.",
                "example": "42"
              },
              "type": {
                "type": "string",
                "enum": [
                  "team",
                  "user"
                ]
              },
              "owner": {
                "type": "string",
                "pattern": "^(team|user:.+)$",
                "description": "`team`, or `user:<sub>` for a user's own wallet.",
                "example": "user:5b0c8f4e-6a1d-4c2b-9e3f-7a8b9c0d1e2f"
              },
              "balanceUsd": {
                "$ref": "#/components/schemas/Usd",
                "description": "The money the wallet holds."
              },
              "reservedUsd": {
                "$ref": "#/components/schemas/Usd",
                "description": "The part of the balance promised to operations in progress."
              },
              "availableUsd": {
                "$ref": "#/components/schemas/Usd",
                "description": "balanceUsd - reservedUsd: what a new reservation may take."
              }
            }
          },
          "LedgerEntry": {
            "type": "object",
            "required": [
              "id",
              "kind",
              "amountUsd",
              "balanceDeltaUsd",
              "reservedDeltaUsd",
              "reservationId",
              "reference",
              "detail",
              "createdAt"
            ],
            "properties": {
              "id": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "example": "1234"
              },
              "kind": {
                "type": "string",
                "enum": [
                  "credit",
                  "reserve",
                  "settle",
                  "release",
                  "refund",
                  "adjustment",
                  "charge"
                ]
              },
              "amountUsd": {
                "$ref": "#/components/schemas/SignedUsd",
                "description": "The line's own amount (negative only for a downward adjustment)."
              },
              "balanceDeltaUsd": {
                "$ref": "#/components/schemas/SignedUsd",
                "description": "How the line changed the wallet's balance."
              },
              "reservedDeltaUsd": {
                "$ref": "#/components/schemas/SignedUsd",
                "description": "How the line changed the wallet's reserved amount."
              },
              "reservationId": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The reservation the line belongs to (reserve, settle, release)."
              },
              "reference": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The caller's reference, e.g. `idempotency:<Idempotency-Key>` for a credit."
              },
              "detail": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "Free text, e.g. a credit's reason."
              },
              "createdAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              }
            }
          },
          "Schedule": {
            "type": "object",
            "required": [
              "name",
              "cron",
              "timezone",
              "kind",
              "tenant",
              "payload",
              "enabled",
              "catchUp",
              "lastFireAt",
              "nextFireAt"
            ],
            "properties": {
              "name": {
                "type": "string",
                "pattern": "^[A-Za-z0-9._-]{1,100}$",
                "example": "nightly-report"
              },
              "cron": {
                "type": "string",
                "example": "0 3 * * *"
              },
              "timezone": {
                "type": "string",
                "description": "IANA time zone name.",
                "example": "Europe/Paris"
              },
              "kind": {
                "type": "string",
                "description": "The job kind each fire enqueues.",
                "example": "noop"
              },
              "tenant": {
                "type": "string",
                "description": "The tenant the enqueued jobs belong to.",
                "example": "system"
              },
              "payload": {
                "description": "The payload of each enqueued job (any JSON)."
              },
              "enabled": {
                "type": "boolean"
              },
              "catchUp": {
                "type": "string",
                "pattern": "^(coalesce|skip|all:[0-9]+)$",
                "example": "coalesce"
              },
              "lastFireAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time",
                "description": "The latest fire time that enqueued a run; null if none yet.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "nextFireAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time",
                "description": "The next fire time; null when disabled or when the expression never fires again.",
                "example": "2026-11-23T14:03:52.123Z"
              }
            }
          },
          "ScheduleRequest": {
            "type": "object",
            "required": [
              "cron",
              "kind"
            ],
            "properties": {
              "cron": {
                "type": "string",
                "maxLength": 200,
                "description": "A 5-field cron expression (minute hour day-of-month month day-of-week), a macro (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`) or an interval `@every <duration>` such as `@every 10m`, at least 60 s (`minScheduleIntervalSeconds`; cron itself fires at most once a minute). At most 200 bytes.",
                "examples": [
                  "*/15 * * * *",
                  "@daily",
                  "@every 10m"
                ]
              },
              "timezone": {
                "type": "string",
                "default": "UTC",
                "description": "IANA time zone name the expression is read in.",
                "example": "Europe/Paris"
              },
              "kind": {
                "type": "string",
                "description": "A registered job kind.",
                "example": "noop"
              },
              "payload": {
                "description": "The payload of each enqueued job: any JSON, at most 64 KiB encoded.",
                "default": {}
              },
              "enabled": {
                "type": "boolean",
                "default": true
              },
              "catchUp": {
                "type": "string",
                "pattern": "^(coalesce|latest|skip|all:[0-9]{1,4})$",
                "default": "coalesce",
                "description": "What to do with fires missed while the server was down: `coalesce` (one run for the latest missed fire; `latest` is a synonym; case-insensitive), `skip` (none), or `all:N` (one run per missed fire, the latest N, N from 1 to 1000)."
              },
              "tenant": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "default": "system",
                "description": "The tenant the enqueued jobs belong to (1-200 bytes). Only the server's own kinds (noop, template sync, outbox relay, idempotency purge) may run without one (as `system`); any other kind without a tenant is 400 naming `tenant`. The payload must decode as the kind's (400 naming the field, e.g. `payload.batch`)."
              }
            }
          },
          "ScheduleDeleted": {
            "type": "object",
            "required": [
              "deleted"
            ],
            "properties": {
              "deleted": {
                "type": "string",
                "description": "The name of the deleted schedule.",
                "example": "nightly-report"
              }
            }
          },
          "CreditRequest": {
            "type": "object",
            "required": [
              "tenantId",
              "wallet",
              "amountUsd"
            ],
            "properties": {
              "tenantId": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "The tenant whose wallet gets the credit (1-200 bytes).",
                "example": "7d2b3c4e-1f5a-4e6b-8c9d-0a1b2c3d4e5f"
              },
              "wallet": {
                "type": "string",
                "pattern": "^(team|user:.+)$",
                "maxLength": 260,
                "description": "`team` for the tenant's team wallet, or `user:<sub>` for a user's own wallet (`sub` as in the user's token). The wallet is created if it does not exist.",
                "examples": [
                  "team",
                  "user:5b0c8f4e-6a1d-4c2b-9e3f-7a8b9c0d1e2f"
                ]
              },
              "amountUsd": {
                "type": "string",
                "pattern": "^[0-9]+(\\.[0-9]{1,6})?$",
                "description": "The credit in USD as a decimal string: more than 0, at most 6 decimals, at most 1000000000. No sign, exponent or spaces.",
                "example": "25.00"
              },
              "reason": {
                "type": "string",
                "maxLength": 500,
                "description": "Free text kept on the ledger entry (at most 500 bytes).",
                "example": "monthly top-up"
              }
            }
          },
          "CreditResult": {
            "type": "object",
            "required": [
              "wallet",
              "applied"
            ],
            "properties": {
              "wallet": {
                "$ref": "#/components/schemas/Wallet"
              },
              "applied": {
                "type": "boolean",
                "description": "False when a credit with this reference (the Idempotency-Key) was already applied, so nothing was added this time."
              }
            }
          },
          "Health": {
            "type": "object",
            "required": [
              "status",
              "workers"
            ],
            "properties": {
              "status": {
                "type": "string",
                "enum": [
                  "ok",
                  "degraded"
                ],
                "description": "`degraded` while the database refuses writes (see `code`); reads still work."
              },
              "workers": {
                "type": "string",
                "const": "running"
              },
              "code": {
                "type": "string",
                "enum": [
                  "storage_full",
                  "storage_read_only",
                  "storage_io_error"
                ],
                "description": "Why health is degraded (absent when `ok`): the disk is full, the file or directory cannot be written, or the disk reports I/O errors. Clears with the next write that commits."
              },
              "reason": {
                "type": "string",
                "description": "What was seen and what to do, naming the database file (absent when `ok`)."
              },
              "since": {
                "type": "string",
                "format": "date-time",
                "description": "When the problem was first seen (absent when `ok`)."
              }
            }
          },
          "HealthEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/Health"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "CreditEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/CreditResult"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "JobEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/Job"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "JobListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Job"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "$ref": "#/components/schemas/Page"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "WalletListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Wallet"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "LedgerEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/LedgerEntry"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "$ref": "#/components/schemas/Page"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "ScheduleEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/Schedule"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "ScheduleListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Schedule"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "ScheduleDeletedEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/ScheduleDeleted"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "ChatMessage": {
            "type": "object",
            "required": [
              "role",
              "content"
            ],
            "properties": {
              "role": {
                "type": "string",
                "enum": [
                  "system",
                  "user",
                  "assistant"
                ]
              },
              "content": {
                "type": "string"
              }
            }
          },
          "CompleteRequest": {
            "type": "object",
            "required": [
              "maxTokens"
            ],
            "description": "Exactly one of `prompt` and `messages`.",
            "properties": {
              "prompt": {
                "type": "string",
                "minLength": 1
              },
              "messages": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "items": {
                  "$ref": "#/components/schemas/ChatMessage"
                }
              },
              "maxTokens": {
                "type": "integer",
                "minimum": 1,
                "description": "1 up to the smallest output limit of the route's models."
              },
              "useCase": {
                "type": "string",
                "description": "Picks the route (primary + fallbacks); default `chat`. Development routes: `chat`, `reasoning`."
              },
              "model": {
                "type": "string",
                "description": "Narrows the route to this model; it must be one of the route's."
              },
              "temperature": {
                "type": "number",
                "minimum": 0,
                "maximum": 2
              },
              "stream": {
                "type": "boolean",
                "description": "Answer as Server-Sent Events (`text/event-stream`): `data: {\"delta\": \"...\"}` per piece of text as it is produced, then `event: done` with the CompleteResult, or `event: error` with `{code, message}`. A client that disconnects stops receiving; the completion finishes and is charged for every token produced."
              }
            }
          },
          "CompleteResult": {
            "type": "object",
            "required": [
              "id",
              "text",
              "model",
              "provider",
              "finishReason",
              "usage",
              "costUsd",
              "wallet"
            ],
            "properties": {
              "id": {
                "type": "string",
                "description": "The `inference.complete` job that ran it (see GET /jobs/{id})."
              },
              "text": {
                "type": "string"
              },
              "model": {
                "type": "string"
              },
              "provider": {
                "type": "string"
              },
              "finishReason": {
                "type": "string"
              },
              "usage": {
                "type": "object",
                "required": [
                  "inputTokens",
                  "outputTokens"
                ],
                "properties": {
                  "inputTokens": {
                    "type": "integer"
                  },
                  "outputTokens": {
                    "type": "integer"
                  }
                }
              },
              "costUsd": {
                "$ref": "#/components/schemas/Usd"
              },
              "wallet": {
                "type": "object",
                "required": [
                  "id",
                  "balanceUsd"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "balanceUsd": {
                    "$ref": "#/components/schemas/Usd"
                  }
                }
              }
            }
          },
          "CompleteEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/CompleteResult"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "BatchItemRequest": {
            "type": "object",
            "required": [
              "customId",
              "maxTokens"
            ],
            "description": "One completion of a batch: like CompleteRequest (exactly one of `prompt` and `messages`) without `stream`, plus a `customId` unique in the batch.",
            "properties": {
              "customId": {
                "type": "string",
                "minLength": 1,
                "maxLength": 128,
                "description": "The caller's name for the item, unique within the batch (1–128 bytes)."
              },
              "prompt": {
                "type": "string",
                "minLength": 1
              },
              "messages": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "items": {
                  "$ref": "#/components/schemas/ChatMessage"
                }
              },
              "maxTokens": {
                "type": "integer",
                "minimum": 1
              },
              "useCase": {
                "type": "string"
              },
              "model": {
                "type": "string"
              },
              "temperature": {
                "type": "number",
                "minimum": 0,
                "maximum": 2
              }
            }
          },
          "BatchRequest": {
            "type": "object",
            "required": [
              "items"
            ],
            "properties": {
              "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50000,
                "items": {
                  "$ref": "#/components/schemas/BatchItemRequest"
                }
              }
            }
          },
          "Batch": {
            "type": "object",
            "required": [
              "id",
              "status",
              "requestCounts",
              "costUsd",
              "reservedUsd",
              "wallet",
              "error",
              "createdAt",
              "expiresAt",
              "cancelRequestedAt",
              "expiredAt",
              "finishedAt"
            ],
            "properties": {
              "id": {
                "type": "string",
                "example": "batch_3f9c0e1a7b2d4c5e6f708192"
              },
              "status": {
                "type": "string",
                "enum": [
                  "validating",
                  "in_progress",
                  "finalizing",
                  "completed",
                  "failed",
                  "cancelling",
                  "cancelled",
                  "expired"
                ],
                "description": "`in_progress` while items run; `finalizing` while the hold is released; `completed` when every item ended; `cancelling` → `cancelled` after a cancel; `expired` when the 24 h window closed with items not run (they are cancelled); `failed` when the batch could not be created."
              },
              "requestCounts": {
                "type": "object",
                "required": [
                  "total",
                  "completed",
                  "failed",
                  "cancelled"
                ],
                "properties": {
                  "total": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "completed": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "failed": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "cancelled": {
                    "type": "integer",
                    "minimum": 0
                  }
                }
              },
              "costUsd": {
                "type": "string",
                "pattern": "^[0-9]+\\.[0-9]{2,6}$",
                "description": "Charged so far for the items that ran (final once the batch ended).",
                "example": "0.012345"
              },
              "reservedUsd": {
                "type": "string",
                "pattern": "^[0-9]+\\.[0-9]{2,6}$",
                "description": "What the batch still holds on the wallet: its worst case at submission less what its items were charged; 0.00 once the batch ended (the rest was released).",
                "example": "0.012345"
              },
              "wallet": {
                "type": "string",
                "enum": [
                  "team",
                  "user"
                ]
              },
              "error": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "createdAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "expiresAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "cancelRequestedAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time"
              },
              "expiredAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time"
              },
              "finishedAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time"
              }
            }
          },
          "BatchResult": {
            "type": "object",
            "required": [
              "customId",
              "status",
              "text",
              "model",
              "provider",
              "finishReason",
              "usage",
              "costUsd",
              "error"
            ],
            "properties": {
              "customId": {
                "type": "string"
              },
              "status": {
                "type": "string",
                "enum": [
                  "pending",
                  "running",
                  "completed",
                  "failed",
                  "cancelled",
                  "expired"
                ]
              },
              "text": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "model": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "provider": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "finishReason": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "usage": {
                "oneOf": [
                  {
                    "type": "null"
                  },
                  {
                    "type": "object",
                    "required": [
                      "inputTokens",
                      "outputTokens"
                    ],
                    "properties": {
                      "inputTokens": {
                        "type": "integer"
                      },
                      "outputTokens": {
                        "type": "integer"
                      }
                    }
                  }
                ]
              },
              "costUsd": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "error": {
                "oneOf": [
                  {
                    "type": "null"
                  },
                  {
                    "type": "object",
                    "required": [
                      "code",
                      "message"
                    ],
                    "properties": {
                      "code": {
                        "type": "string"
                      },
                      "message": {
                        "type": "string"
                      }
                    }
                  }
                ]
              }
            }
          },
          "BatchEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/Batch"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "BatchListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Batch"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "$ref": "#/components/schemas/Page"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "BatchResultListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/BatchResult"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "$ref": "#/components/schemas/Page"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "MessageRequest": {
            "type": "object",
            "required": [
              "channel",
              "to"
            ],
            "description": "Exactly one of `body` and `templateId`.",
            "properties": {
              "channel": {
                "type": "string",
                "enum": [
                  "sms",
                  "email",
                  "whatsapp"
                ]
              },
              "to": {
                "type": "string",
                "description": "E.164 (`+14155550100`) for sms and whatsapp; an RFC 5322 addr-spec for email."
              },
              "from": {
                "type": "string",
                "description": "Sender (same formats); default: the channel's configured sender. When the operator configured senders for the tenant and channel, `from` must be one of them (the first is the default)."
              },
              "subject": {
                "type": "string",
                "maxLength": 998,
                "description": "Email only; required with `body`."
              },
              "body": {
                "type": "string",
                "minLength": 1,
                "description": "At most 1,600 characters (sms), 4,096 (whatsapp), 200,000 (email)."
              },
              "templateId": {
                "type": "string",
                "description": "A template's `id` from GET /templates, of the same channel; WhatsApp needs an approved one."
              },
              "variables": {
                "type": "object",
                "additionalProperties": {
                  "type": "string",
                  "maxLength": 1024
                },
                "description": "Exactly the template's variables."
              },
              "sendAt": {
                "type": "string",
                "format": "date-time",
                "description": "In the future, at most 30 days ahead."
              },
              "sendWindow": {
                "type": "object",
                "description": "Quiet hours in the recipient's zone: a send (at `sendAt`, or now) outside the window waits for its next start, DST-correct; a window whose end is before its start runs overnight. Without it, the tenant's configured window applies, if any.",
                "required": [
                  "start",
                  "end",
                  "timezone"
                ],
                "additionalProperties": false,
                "properties": {
                  "start": {
                    "type": "string",
                    "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                    "example": "08:00"
                  },
                  "end": {
                    "type": "string",
                    "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                    "example": "21:00"
                  },
                  "timezone": {
                    "type": "string",
                    "example": "Europe/Paris"
                  }
                }
              },
              "fallback": {
                "type": [
                  "array",
                  "null"
                ],
                "maxItems": 3,
                "description": "Channels to try next, in order, when this one ends `failed` or `undelivered`, or has no delivery report within `fallbackAfterSeconds` of being sent. Each attempt is its own message with its own charge; a late `delivered` cancels a next attempt not yet sent. `to` defaults to this message's recipient between SMS and WhatsApp; without `templateId` this message's text is sent (with its `subject` for email unless the step names one).",
                "items": {
                  "type": "object",
                  "required": [
                    "channel"
                  ],
                  "additionalProperties": false,
                  "properties": {
                    "channel": {
                      "type": "string",
                      "enum": [
                        "sms",
                        "email",
                        "whatsapp"
                      ]
                    },
                    "to": {
                      "type": [
                        "string",
                        "null"
                      ]
                    },
                    "subject": {
                      "type": [
                        "string",
                        "null"
                      ]
                    },
                    "templateId": {
                      "type": [
                        "string",
                        "null"
                      ]
                    },
                    "variables": {
                      "type": [
                        "object",
                        "null"
                      ],
                      "additionalProperties": {
                        "type": "string"
                      }
                    }
                  }
                }
              },
              "fallbackAfterSeconds": {
                "type": [
                  "integer",
                  "null"
                ],
                "minimum": 10,
                "maximum": 86400,
                "description": "With `fallback`: how long after `sent` to wait for a delivery report (default 900)."
              }
            }
          },
          "Message": {
            "type": "object",
            "required": [
              "id",
              "channel",
              "to",
              "from",
              "subject",
              "body",
              "templateId",
              "variables",
              "status",
              "provider",
              "providerMessageId",
              "error",
              "attempts",
              "segments",
              "priceUsd",
              "sendAt",
              "createdAt",
              "updatedAt",
              "history",
              "previousAttemptId",
              "nextAttemptId"
            ],
            "properties": {
              "id": {
                "type": "string",
                "example": "msg_3f9c0e1a7b2d4c5e6f708192"
              },
              "channel": {
                "type": "string",
                "enum": [
                  "sms",
                  "email",
                  "whatsapp"
                ]
              },
              "to": {
                "type": "string"
              },
              "from": {
                "type": "string"
              },
              "subject": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "body": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "templateId": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "variables": {
                "oneOf": [
                  {
                    "type": "null"
                  },
                  {
                    "type": "object",
                    "additionalProperties": {
                      "type": "string"
                    }
                  }
                ]
              },
              "status": {
                "type": "string",
                "enum": [
                  "queued",
                  "sending",
                  "sent",
                  "delivered",
                  "failed",
                  "undelivered",
                  "cancelled"
                ]
              },
              "provider": {
                "type": "string"
              },
              "providerMessageId": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "error": {
                "oneOf": [
                  {
                    "type": "null"
                  },
                  {
                    "type": "object",
                    "required": [
                      "code",
                      "message"
                    ],
                    "properties": {
                      "code": {
                        "type": "string"
                      },
                      "message": {
                        "type": "string"
                      }
                    }
                  }
                ]
              },
              "attempts": {
                "type": "integer",
                "minimum": 0
              },
              "segments": {
                "type": "integer",
                "minimum": 1
              },
              "priceUsd": {
                "type": "string",
                "description": "Held on the team wallet at acceptance; charged when sent, released if it fails."
              },
              "sendAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time"
              },
              "createdAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "updatedAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              },
              "history": {
                "type": "array",
                "description": "Filled on GET /messages/{id}; empty in lists.",
                "items": {
                  "type": "object",
                  "required": [
                    "status",
                    "detail",
                    "at"
                  ],
                  "properties": {
                    "status": {
                      "type": "string"
                    },
                    "detail": {
                      "type": [
                        "string",
                        "null"
                      ]
                    },
                    "at": {
                      "type": "string",
                      "format": "date-time",
                      "description": "ISO 8601 time in UTC with milliseconds.",
                      "example": "2026-11-23T14:03:52.123Z"
                    }
                  }
                }
              },
              "previousAttemptId": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "With channel fallback: the attempt this message follows."
              },
              "nextAttemptId": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "With channel fallback: the attempt sent after this one."
              }
            }
          },
          "Template": {
            "type": "object",
            "required": [
              "id",
              "provider",
              "providerTemplateId",
              "channel",
              "name",
              "language",
              "category",
              "status",
              "variables",
              "body",
              "syncedAt"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "provider": {
                "type": "string"
              },
              "providerTemplateId": {
                "type": "string"
              },
              "channel": {
                "type": "string",
                "enum": [
                  "sms",
                  "email",
                  "whatsapp"
                ]
              },
              "name": {
                "type": "string"
              },
              "language": {
                "type": "string"
              },
              "category": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "status": {
                "type": "string",
                "description": "`approved`, `pending`, `rejected`, … as the provider says; `removed` when the provider no longer lists it."
              },
              "variables": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "body": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "syncedAt": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 time in UTC with milliseconds.",
                "example": "2026-11-23T14:03:52.123Z"
              }
            }
          },
          "Provider": {
            "type": "object",
            "required": [
              "id",
              "name",
              "channel",
              "channels",
              "state",
              "limits"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "name": {
                "type": "string",
                "description": "What the provider is, for people: Twilio, SendGrid or Simulated."
              },
              "channel": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The first of `channels` (the original contract names one channel per provider)."
              },
              "channels": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "state": {
                "type": "string",
                "enum": [
                  "healthy",
                  "degraded",
                  "down"
                ],
                "description": "`down` while its circuit breaker is open; `degraded` when more than 1 in 10 of its last 50 calls failed."
              },
              "limits": {
                "type": "object",
                "required": [
                  "requestsPerMinute"
                ],
                "properties": {
                  "requestsPerMinute": {
                    "type": [
                      "integer",
                      "null"
                    ],
                    "description": "The configured requests per minute; null when none is configured."
                  }
                }
              }
            }
          },
          "MessageEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "$ref": "#/components/schemas/Message"
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "MessageListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Message"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "$ref": "#/components/schemas/Page"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "TemplateListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Template"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "$ref": "#/components/schemas/Page"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "ProviderListEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Provider"
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "OutboxReportEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "object",
                "required": [
                  "processed",
                  "sent",
                  "failed",
                  "retried",
                  "remaining"
                ],
                "properties": {
                  "processed": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "sent": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "failed": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "retried": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "remaining": {
                    "type": "integer",
                    "minimum": 0
                  }
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "SyncReportEnvelope": {
            "type": "object",
            "required": [
              "data",
              "error",
              "page",
              "meta"
            ],
            "properties": {
              "data": {
                "type": "object",
                "required": [
                  "created",
                  "updated",
                  "removed",
                  "failures"
                ],
                "properties": {
                  "created": {
                    "type": "integer"
                  },
                  "updated": {
                    "type": "integer"
                  },
                  "removed": {
                    "type": "integer"
                  },
                  "failures": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "string"
                    },
                    "description": "Providers whose listing failed, and why; what they listed before is kept."
                  }
                }
              },
              "error": {
                "type": "null"
              },
              "page": {
                "type": "null"
              },
              "meta": {
                "$ref": "#/components/schemas/Meta"
              }
            }
          },
          "WebhookEndpoint": {
            "type": "object",
            "required": [
              "id",
              "url",
              "events",
              "description",
              "createdAt"
            ],
            "properties": {
              "id": {
                "type": "string",
                "pattern": "^we_"
              },
              "url": {
                "type": "string",
                "format": "uri"
              },
              "events": {
                "type": "array",
                "items": {
                  "type": "string",
                  "description": "`message.queued`, `message.sent`, `message.delivered`, `message.undelivered`, `message.failed`, `batch.completed`, `wallet.low_balance`, `message.*` or `*`"
                }
              },
              "description": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "createdAt": {
                "type": "string",
                "format": "date-time"
              },
              "secret": {
                "type": "string",
                "pattern": "^whsec_",
                "description": "The signing secret (`whsec_` + base64 key), only in the answer to the POST that created the endpoint."
              }
            }
          },
          "WebhookEndpointRequest": {
            "type": "object",
            "required": [
              "url",
              "events"
            ],
            "additionalProperties": false,
            "properties": {
              "url": {
                "type": "string",
                "description": "`https://` (development mode also allows `http://` and loopback). Private, link-local and loopback addresses are refused unless the operator allows them."
              },
              "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": 20,
                "items": {
                  "type": "string"
                }
              },
              "description": {
                "type": [
                  "string",
                  "null"
                ],
                "maxLength": 500
              }
            }
          },
          "WebhookDelivery": {
            "type": "object",
            "required": [
              "id",
              "eventId",
              "eventType",
              "state",
              "attempts",
              "lastStatusCode",
              "lastError",
              "nextAttemptAt",
              "createdAt",
              "finishedAt",
              "log"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "eventId": {
                "type": "string",
                "description": "The `webhook-id` header of every attempt."
              },
              "eventType": {
                "type": "string"
              },
              "state": {
                "type": "string",
                "enum": [
                  "pending",
                  "delivered",
                  "failed"
                ]
              },
              "attempts": {
                "type": "integer",
                "minimum": 0
              },
              "lastStatusCode": {
                "type": [
                  "integer",
                  "null"
                ]
              },
              "lastError": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "nextAttemptAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time"
              },
              "createdAt": {
                "type": "string",
                "format": "date-time"
              },
              "finishedAt": {
                "type": [
                  "string",
                  "null"
                ],
                "format": "date-time"
              },
              "log": {
                "type": "array",
                "description": "The last 10 attempts, oldest first.",
                "items": {
                  "type": "object",
                  "required": [
                    "at",
                    "statusCode",
                    "error",
                    "durationMs"
                  ],
                  "properties": {
                    "at": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "statusCode": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    },
                    "error": {
                      "type": [
                        "string",
                        "null"
                      ]
                    },
                    "durationMs": {
                      "type": "integer",
                      "minimum": 0
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    """#
}
