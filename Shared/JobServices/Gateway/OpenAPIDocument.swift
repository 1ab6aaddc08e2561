// Generated from docs/openapi.json by ops/sync-openapi; do not edit by hand.

/// The OpenAPI description of the HTTP API, served at `GET /openapi.json`.
enum OpenAPIDocument {
    static let text = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "CNCF Job Management gateway API",
            "version": "1.2.0",
            "description": "HTTP/JSON API of `cncf-gateway`: submit commands in four execution modes; read, wait \#
        for, list, cancel and retry jobs; inspect their tasks and call trees; list and requeue dead letters; list \#
        the operations workers offer.\n\nEvery request and response body is JSON except `/metrics`. Every error has \#
        the body `{\"error\": {\"code\": \"snake_case_code\", \"message\": \"human text\"}}`, except a failed `sync` \#
        command (422, a SyncResult). On any path, a route that does not exist answers 404 `not_found` and a method \#
        the path does not support answers 405 `method_not_allowed`. Endpoints that use Redis answer 503 \#
        `redis_unavailable` when it cannot be reached and 500 `internal_error` when it refuses a request.\n\nA job's \#
        `status` follows its primary work; `settled` becomes true once the continuation tasks started by its events \#
        have finished too.\n\nEvery `/v1` call needs `Authorization: Bearer <token>`; the gateway keeps only SHA-256 \#
        hashes of tokens, each with a principal and roles (`submitter`, `operator`, `auditor`, `admin`). A missing \#
        or unknown token answers 401 `unauthorized`; a route the caller's roles do not allow answers 403 \#
        `forbidden`; another principal's job answers 404 `job_not_found` to a caller who may read only its own jobs. \#
        `/healthz`, `/metrics` and `/openapi.json` need no token. A gateway started with `CNCF_AUTH=off` checks \#
        nothing and treats every caller as an admin named `anonymous`. See docs/security.md."
          },
          "servers": [
            {
              "url": "http://127.0.0.1:8080",
              "description": "default GATEWAY_HOST:GATEWAY_PORT"
            }
          ],
          "tags": [
            {
              "name": "commands",
              "description": "Submit work"
            },
            {
              "name": "jobs",
              "description": "Read, wait for, list, cancel and retry jobs; tasks and call trees"
            },
            {
              "name": "dead letters",
              "description": "Tasks whose attempts ran out"
            },
            {
              "name": "operations",
              "description": "What workers can run"
            },
            {
              "name": "operational",
              "description": "Health, metrics and this document"
            },
            {
              "name": "audit",
              "description": "The tamper-evident audit trail."
            }
          ],
          "paths": {
            "/v1/commands": {
              "post": {
                "tags": [
                  "commands"
                ],
                "operationId": "submitCommand",
                "summary": "Submit a command in one of the four execution modes",
                "description": "Validates the command, then runs it in its `mode`:\n\n- `jobAsync` (default): \#
        records a job and answers 202 at once; workers run it later.\n- `jobSync`: records a job and waits until it \#
        is settled: 200 when it is; 202 when `timeoutMs` passes first (the work goes on; follow `Location`).\n- \#
        `jobSyncWithAsyncCont`: records a job and waits for its primary task only: 200 when that is finished \#
        (continuations may still run, `settled` false); 202 on timeout.\n- `sync`: no job; runs on a worker while \#
        the request waits: 200 with the result, 422 with the error, 408 `sync_timeout` when no worker answered \#
        within `timeoutMs` (the work may still run).\n\nResubmitting with the same idempotency key, or the same \#
        `jobId` with the same operation and input, returns the existing job (202) instead of running the work \#
        again.",
                "parameters": [
                  {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "description": "1 to 200 printable ASCII characters; same meaning as the body's \#
        `idempotencyKey`, and wins over it. Keys are remembered for `JOB_RETENTION_SECONDS`.",
                    "schema": {
                      "type": "string",
                      "pattern": "^[!-~]{1,200}$"
                    },
                    "example": "order-1234-attempt-1"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/CommandRequest"
                      },
                      "examples": {
                        "jobAsync": {
                          "value": {
                            "operation": "demo.echo",
                            "input": {
                              "text": "hi"
                            }
                          }
                        },
                        "withClientId": {
                          "value": {
                            "operation": "demo.echo",
                            "input": {
                              "x": 1
                            },
                            "jobId": "order-1234.echo",
                            "principal": "alice",
                            "maxAttempts": 5
                          }
                        },
                        "delayed": {
                          "value": {
                            "operation": "demo.echo",
                            "input": {
                              "text": "later"
                            },
                            "runAt": "2026-12-24T18:00:00Z"
                          }
                        },
                        "jobSync": {
                          "value": {
                            "operation": "demo.echo",
                            "input": {
                              "text": "hi"
                            },
                            "mode": "jobSync",
                            "timeoutMs": 5000
                          }
                        },
                        "jobSyncWithAsyncCont": {
                          "value": {
                            "operation": "order.place",
                            "input": {
                              "orderId": "o-1",
                              "sku": "A-1",
                              "quantity": 2,
                              "customer": "ada"
                            },
                            "mode": "jobSyncWithAsyncCont"
                          }
                        },
                        "sync": {
                          "value": {
                            "operation": "demo.echo",
                            "input": {
                              "text": "hi"
                            },
                            "mode": "sync"
                          }
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "`jobSync`: the job is settled; `jobSyncWithAsyncCont`: its primary task is \#
        finished (body `{\"job\"}`, header `Location`). `sync`: the operation succeeded (body SyncResult).",
                    "headers": {
                      "Location": {
                        "description": "Path of the job (job modes only).",
                        "schema": {
                          "type": "string"
                        }
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {
                              "$ref": "#/components/schemas/JobEnvelope"
                            },
                            {
                              "$ref": "#/components/schemas/SyncResult"
                            }
                          ]
                        },
                        "examples": {
                          "jobSyncWithAsyncCont": {
                            "value": {
                              "job": {
                                "id": "ord-1",
                                "operation": "order.place",
                                "principal": "alice",
                                "mode": "jobSyncWithAsyncCont",
                                "status": "succeeded",
                                "sagaId": null,
                                "acceptedAt": "2026-12-03T19:27:50.905Z",
                                "scheduledAt": "2026-12-03T19:27:50.911Z",
                                "startedAt": "2026-12-03T19:27:50.913Z",
                                "completedAt": "2026-12-03T19:27:50.914Z",
                                "input": {
                                  "orderId": "o-1",
                                  "sku": "A-1",
                                  "quantity": 2,
                                  "customer": "ada"
                                },
                                "result": {
                                  "orderId": "o-1",
                                  "status": "placed"
                                },
                                "resultSummary": "{\"orderId\":\"o-1\",\"status\":\"placed\"}",
                                "error": null,
                                "diagnostics": {
                                  "attempt": 1,
                                  "durationMicros": 88,
                                  "worker": "host-4242-1oktz7w"
                                },
                                "retryCount": 0,
                                "attempt": 1,
                                "maxAttempts": 3,
                                "attempts": [
                                  {
                                    "attempt": 1,
                                    "worker": "host-4242-1oktz7w",
                                    "startedAt": 1796326070913,
                                    "endedAt": 1796326070914,
                                    "outcome": "succeeded"
                                  }
                                ],
                                "runAt": null,
                                "conclusion": null,
                                "cancellationReason": null,
                                "cancelRequested": null,
                                "callTree": null,
                                "worker": "host-4242-1oktz7w",
                                "source": "http",
                                "tasks": {
                                  "total": 3,
                                  "continuations": 2,
                                  "continuationsFinished": 0,
                                  "byStatus": {
                                    "succeeded": 1,
                                    "scheduled": 2
                                  }
                                },
                                "settled": false
                              }
                            }
                          },
                          "sync": {
                            "value": {
                              "mode": "sync",
                              "status": "succeeded",
                              "result": {
                                "text": "hi"
                              }
                            }
                          }
                        }
                      }
                    }
                  },
                  "202": {
                    "description": "The job: just accepted (`jobAsync`), already existing (repeated idempotency key \#
        or `jobId`), or not finished when `timeoutMs` passed (`jobSync`, `jobSyncWithAsyncCont`; the work goes on).",
                    "headers": {
                      "Location": {
                        "$ref": "#/components/headers/Location"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobEnvelope"
                        },
                        "example": {
                          "job": {
                            "id": "01M8YP16MEWF43TGXQ4472WQTD",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "accepted",
                            "sagaId": null,
                            "acceptedAt": "2026-12-03T19:27:50.905Z",
                            "scheduledAt": null,
                            "startedAt": null,
                            "completedAt": null,
                            "input": {
                              "text": "hi"
                            },
                            "result": null,
                            "resultSummary": null,
                            "error": null,
                            "diagnostics": null,
                            "retryCount": 0,
                            "attempt": 0,
                            "maxAttempts": 3,
                            "attempts": [],
                            "runAt": null,
                            "conclusion": null,
                            "cancellationReason": null,
                            "cancelRequested": null,
                            "callTree": null,
                            "worker": null,
                            "source": "http",
                            "tasks": {
                              "total": 1,
                              "continuations": 0,
                              "continuationsFinished": 0,
                              "byStatus": {
                                "accepted": 1
                              }
                            },
                            "settled": false
                          }
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body or the `Idempotency-Key` header is not a valid command; the message \#
        says what is wrong. `invalid_request` covers a body that is not an object, unknown members, wrong types and \#
        `timeoutMs` out of range.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "examples": {
                          "invalid_json": {
                            "value": {
                              "error": {
                                "code": "invalid_json",
                                "message": "the body is not valid JSON: ..."
                              }
                            }
                          },
                          "invalid_request": {
                            "value": {
                              "error": {
                                "code": "invalid_request",
                                "message": "'timeoutMs' must be a whole number from 0 to 60000"
                              }
                            }
                          },
                          "missing_operation": {
                            "value": {
                              "error": {
                                "code": "missing_operation",
                                "message": "the body has no 'operation' field"
                              }
                            }
                          },
                          "invalid_operation": {
                            "value": {
                              "error": {
                                "code": "invalid_operation",
                                "message": "operation 'echo' is not of the form component.operation"
                              }
                            }
                          },
                          "invalid_mode": {
                            "value": {
                              "error": {
                                "code": "invalid_mode",
                                "message": "mode 'fast' is not one of sync, jobSync, jobAsync, jobSyncWithAsyncCont"
                              }
                            }
                          },
                          "unsupported_mode": {
                            "value": {
                              "error": {
                                "code": "unsupported_mode",
                                "message": "mode 'jobSync' is not supported"
                              }
                            }
                          },
                          "invalid_job_id": {
                            "value": {
                              "error": {
                                "code": "invalid_job_id",
                                "message": "jobId must be 1 to 64 of A-Z a-z 0-9 . _ -"
                              }
                            }
                          },
                          "invalid_principal": {
                            "value": {
                              "error": {
                                "code": "invalid_principal",
                                "message": "principal must be 1 to 256 bytes"
                              }
                            }
                          },
                          "invalid_max_attempts": {
                            "value": {
                              "error": {
                                "code": "invalid_max_attempts",
                                "message": "maxAttempts must be a whole number from 1 to 100"
                              }
                            }
                          },
                          "invalid_run_at": {
                            "value": {
                              "error": {
                                "code": "invalid_run_at",
                                "message": "runAt must be before the year 2100"
                              }
                            }
                          },
                          "invalid_idempotency_key": {
                            "value": {
                              "error": {
                                "code": "invalid_idempotency_key",
                                "message": "the idempotency key must be 1 to 200 printable ASCII characters"
                              }
                            }
                          }
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
                    "description": "No worker offers this operation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "unknown_operation",
                            "message": "operation 'demo.nope' is not registered by any worker; see GET \#
        /v1/operations"
                          }
                        }
                      }
                    }
                  },
                  "408": {
                    "description": "`sync` only: no worker answered within `timeoutMs`; the work may still run.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "sync_timeout",
                            "message": "no worker answered within 10000 ms; the work may still run"
                          }
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The `jobId` is already used by a job with another operation or input.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_exists",
                            "message": "job order-1234.echo already exists with another operation or input; choose \#
        another jobId"
                          }
                        }
                      }
                    }
                  },
                  "413": {
                    "description": "The body is larger than 1 MiB.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "payload_too_large",
                            "message": "the body is larger than 1048576 bytes"
                          }
                        }
                      }
                    }
                  },
                  "422": {
                    "description": "`sync` only: the operation failed.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/SyncResult"
                        },
                        "example": {
                          "mode": "sync",
                          "status": "failed",
                          "error": {
                            "code": "demo_failure",
                            "message": "x",
                            "action": "retryNow"
                          }
                        }
                      }
                    }
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs": {
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "listJobs",
                "summary": "List jobs, newest first",
                "description": "Pages through jobs newest first. Pass a page's `nextCursor` as `cursor` to get the \#
        next one. With filters, one request looks at a bounded number of jobs, so a page may hold fewer than `limit` \#
        jobs while `nextCursor` is not null.",
                "parameters": [
                  {
                    "name": "status",
                    "in": "query",
                    "required": false,
                    "description": "Only jobs with this status.",
                    "schema": {
                      "$ref": "#/components/schemas/JobStatus"
                    }
                  },
                  {
                    "name": "operation",
                    "in": "query",
                    "required": false,
                    "description": "Only jobs of this operation.",
                    "schema": {
                      "type": "string"
                    },
                    "example": "demo.echo"
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "description": "Page size (400 `invalid_request` outside 1 to 500).",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 500,
                      "default": 50
                    }
                  },
                  {
                    "name": "cursor",
                    "in": "query",
                    "required": false,
                    "description": "Opaque cursor (`<ms>:<id>`) from a previous page's `nextCursor`.",
                    "schema": {
                      "type": "string",
                      "pattern": "^[0-9]{1,15}:[A-Za-z0-9._-]{1,64}$"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of jobs.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobList"
                        },
                        "example": {
                          "jobs": [
                            {
                              "id": "01M8YP16MEWF43TGXQ4472WQTD",
                              "operation": "demo.echo",
                              "principal": "alice",
                              "mode": "jobAsync",
                              "status": "succeeded",
                              "sagaId": null,
                              "acceptedAt": "2026-12-03T19:27:50.905Z",
                              "scheduledAt": "2026-12-03T19:27:50.911Z",
                              "startedAt": "2026-12-03T19:27:50.913Z",
                              "completedAt": "2026-12-03T19:27:50.914Z",
                              "input": {
                                "text": "hi"
                              },
                              "result": {
                                "text": "hi"
                              },
                              "resultSummary": "{\"text\":\"hi\"}",
                              "error": null,
                              "diagnostics": {
                                "attempt": 1,
                                "durationMicros": 88,
                                "worker": "host-4242-1oktz7w"
                              },
                              "retryCount": 0,
                              "attempt": 1,
                              "maxAttempts": 3,
                              "attempts": [
                                {
                                  "attempt": 1,
                                  "worker": "host-4242-1oktz7w",
                                  "startedAt": 1796326070913,
                                  "endedAt": 1796326070914,
                                  "outcome": "succeeded"
                                }
                              ],
                              "runAt": null,
                              "conclusion": null,
                              "cancellationReason": null,
                              "cancelRequested": null,
                              "callTree": null,
                              "worker": "host-4242-1oktz7w",
                              "source": "http",
                              "tasks": {
                                "total": 1,
                                "continuations": 0,
                                "continuationsFinished": 0,
                                "byStatus": {
                                  "succeeded": 1
                                }
                              },
                              "settled": true
                            }
                          ],
                          "nextCursor": "1796326070905:01M8YP16MEWF43TGXQ4472WQTD"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "`status` is not a job status, `limit` is not a whole number from 1 to 500, or \#
        `cursor` is not a returned `nextCursor`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "invalid_request",
                            "message": "limit must be a whole number from 1 to 500"
                          }
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
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "getJob",
                "summary": "Read one job",
                "responses": {
                  "200": {
                    "description": "The job.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobEnvelope"
                        },
                        "example": {
                          "job": {
                            "id": "01M8YP16MEWF43TGXQ4472WQTD",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "succeeded",
                            "sagaId": null,
                            "acceptedAt": "2026-12-03T19:27:50.905Z",
                            "scheduledAt": "2026-12-03T19:27:50.911Z",
                            "startedAt": "2026-12-03T19:27:50.913Z",
                            "completedAt": "2026-12-03T19:27:50.914Z",
                            "input": {
                              "text": "hi"
                            },
                            "result": {
                              "text": "hi"
                            },
                            "resultSummary": "{\"text\":\"hi\"}",
                            "error": null,
                            "diagnostics": {
                              "attempt": 1,
                              "durationMicros": 88,
                              "worker": "host-4242-1oktz7w"
                            },
                            "retryCount": 0,
                            "attempt": 1,
                            "maxAttempts": 3,
                            "attempts": [
                              {
                                "attempt": 1,
                                "worker": "host-4242-1oktz7w",
                                "startedAt": 1796326070913,
                                "endedAt": 1796326070914,
                                "outcome": "succeeded"
                              }
                            ],
                            "runAt": null,
                            "conclusion": null,
                            "cancellationReason": null,
                            "cancelRequested": null,
                            "callTree": null,
                            "worker": "host-4242-1oktz7w",
                            "source": "http",
                            "tasks": {
                              "total": 1,
                              "continuations": 0,
                              "continuationsFinished": 0,
                              "byStatus": {
                                "succeeded": 1
                              }
                            },
                            "settled": true
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}/wait": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "waitForJob",
                "summary": "Wait until a job is finished or settled",
                "description": "Holds the request until the job reaches a terminal status (`until=terminal`) or is \#
        settled, continuations included (`until=settled`), or until `timeoutMs` passes. Answers 200 either way; \#
        `timedOut` says which.",
                "parameters": [
                  {
                    "name": "timeoutMs",
                    "in": "query",
                    "required": false,
                    "description": "Longest wait in milliseconds.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 300000,
                      "default": 30000
                    }
                  },
                  {
                    "name": "until",
                    "in": "query",
                    "required": false,
                    "description": "`terminal`: the primary work is finished (`status` is succeeded, failed or \#
        cancelled); `settled`: every task of the job is finished.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "terminal",
                        "settled"
                      ],
                      "default": "terminal"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The job, finished or as it is when the time ran out.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WaitResult"
                        },
                        "example": {
                          "job": {
                            "id": "01M8YP16MEWF43TGXQ4472WQTD",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "succeeded",
                            "sagaId": null,
                            "acceptedAt": "2026-12-03T19:27:50.905Z",
                            "scheduledAt": "2026-12-03T19:27:50.911Z",
                            "startedAt": "2026-12-03T19:27:50.913Z",
                            "completedAt": "2026-12-03T19:27:50.914Z",
                            "input": {
                              "text": "hi"
                            },
                            "result": {
                              "text": "hi"
                            },
                            "resultSummary": "{\"text\":\"hi\"}",
                            "error": null,
                            "diagnostics": {
                              "attempt": 1,
                              "durationMicros": 88,
                              "worker": "host-4242-1oktz7w"
                            },
                            "retryCount": 0,
                            "attempt": 1,
                            "maxAttempts": 3,
                            "attempts": [
                              {
                                "attempt": 1,
                                "worker": "host-4242-1oktz7w",
                                "startedAt": 1796326070913,
                                "endedAt": 1796326070914,
                                "outcome": "succeeded"
                              }
                            ],
                            "runAt": null,
                            "conclusion": null,
                            "cancellationReason": null,
                            "cancelRequested": null,
                            "callTree": null,
                            "worker": "host-4242-1oktz7w",
                            "source": "http",
                            "tasks": {
                              "total": 1,
                              "continuations": 0,
                              "continuationsFinished": 0,
                              "byStatus": {
                                "succeeded": 1
                              }
                            },
                            "settled": true
                          },
                          "timedOut": false
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "`timeoutMs` is not a whole number from 0 to 300000, or `until` is neither \#
        `terminal` nor `settled`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "invalid_request",
                            "message": "timeoutMs must be a whole number from 0 to 300000"
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}/result": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "getJobResult",
                "summary": "Read the result of a finished job",
                "responses": {
                  "200": {
                    "description": "The job is finished (its primary work; `settled` says whether continuations are \#
        too).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobResult"
                        },
                        "example": {
                          "jobId": "01M8YP16MEWF43TGXQ4472WQTD",
                          "status": "succeeded",
                          "result": {
                            "text": "hi"
                          },
                          "error": null,
                          "settled": true
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "409": {
                    "description": "The job is not finished yet; the message gives its status.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_not_finished",
                            "message": "job 01M8YP16MEWF43TGXQ4472WQTD is running; wait for it first"
                          }
                        }
                      }
                    }
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}/tasks": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "listJobTasks",
                "summary": "List a job's tasks: the primary task and its continuations",
                "responses": {
                  "200": {
                    "description": "The tasks, primary first.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/TaskList"
                        },
                        "example": {
                          "jobId": "ord-1",
                          "settled": false,
                          "tasks": [
                            {
                              "id": "ord-1/primary",
                              "jobId": "ord-1",
                              "parentTaskId": null,
                              "kind": "primary",
                              "runs": "order.place",
                              "status": "succeeded",
                              "attempt": 1,
                              "maxAttempts": 3,
                              "createdAt": "2026-12-03T19:26:50.473Z",
                              "startedAt": "2026-12-03T19:26:50.475Z",
                              "completedAt": "2026-12-03T19:26:50.478Z",
                              "error": null,
                              "eventType": null,
                              "attempts": [
                                {
                                  "attempt": 1,
                                  "worker": "host-4242-1oktz7w",
                                  "startedAt": 1796326010475,
                                  "endedAt": 1796326010478,
                                  "outcome": "succeeded"
                                }
                              ],
                              "worker": "host-4242-1oktz7w"
                            },
                            {
                              "id": "ord-1.1",
                              "jobId": "ord-1",
                              "parentTaskId": "ord-1/primary",
                              "kind": "subscriber",
                              "runs": "order.confirmation",
                              "status": "running",
                              "attempt": 2,
                              "maxAttempts": 4,
                              "createdAt": "2026-12-03T19:26:50.478Z",
                              "startedAt": "2026-12-03T19:26:50.718Z",
                              "completedAt": null,
                              "error": null,
                              "eventType": "order.placed",
                              "attempts": [
                                {
                                  "attempt": 1,
                                  "worker": "host-4242-1oktz7w",
                                  "startedAt": 1796326010480,
                                  "endedAt": 1796326010482,
                                  "outcome": "failed",
                                  "error": {
                                    "code": "mail_unavailable",
                                    "message": "mail service unavailable (simulated failure 1 of 1)",
                                    "action": "retryLater"
                                  }
                                }
                              ],
                              "worker": "host-4242-1oktz7w"
                            }
                          ]
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}/calltree": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "getJobCallTree",
                "summary": "Read a job's whole call tree",
                "description": "One root span per task, each task's spans under it, and the tasks started by a \#
        task's events under that task (`tasks`). A task that kept no detailed tree gets a single span made from its \#
        start and end times.",
                "responses": {
                  "200": {
                    "description": "The call tree.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CallTree"
                        },
                        "example": {
                          "jobId": "ord-1",
                          "operation": "order.place",
                          "tree": {
                            "name": "order.place",
                            "startedAt": "2026-12-03T19:26:50.477Z",
                            "startOffsetMicros": 0,
                            "durationMicros": 413,
                            "outcome": "ok",
                            "task": "ord-1/primary",
                            "kind": "primary",
                            "status": "succeeded",
                            "children": [
                              {
                                "name": "validate",
                                "startOffsetMicros": 24,
                                "durationMicros": 29,
                                "outcome": "ok"
                              },
                              {
                                "name": "stage order",
                                "startOffsetMicros": 61,
                                "durationMicros": 16,
                                "outcome": "ok"
                              },
                              {
                                "name": "publish order.placed",
                                "startOffsetMicros": 101,
                                "durationMicros": 283,
                                "outcome": "ok",
                                "children": [
                                  {
                                    "name": "subscriber stock.reserve",
                                    "startOffsetMicros": 113,
                                    "durationMicros": 268,
                                    "outcome": "ok",
                                    "children": [
                                      {
                                        "name": "check stock",
                                        "startOffsetMicros": 127,
                                        "durationMicros": 238,
                                        "outcome": "ok"
                                      },
                                      {
                                        "name": "reserve",
                                        "startOffsetMicros": 371,
                                        "durationMicros": 8,
                                        "outcome": "ok"
                                      }
                                    ]
                                  }
                                ]
                              }
                            ],
                            "tasks": [
                              {
                                "name": "order.confirmation",
                                "startedAt": "2026-12-03T19:26:50.721Z",
                                "startOffsetMicros": 0,
                                "durationMicros": 193,
                                "outcome": "ok",
                                "task": "ord-1.1",
                                "kind": "subscriber",
                                "status": "succeeded",
                                "children": [
                                  {
                                    "name": "send mail",
                                    "startOffsetMicros": 68,
                                    "durationMicros": 3,
                                    "outcome": "ok"
                                  },
                                  {
                                    "name": "record confirmation",
                                    "startOffsetMicros": 81,
                                    "durationMicros": 13,
                                    "outcome": "ok"
                                  }
                                ]
                              },
                              {
                                "name": "search.index",
                                "startOffsetMicros": 0,
                                "outcome": "scheduled",
                                "task": "ord-1.2",
                                "kind": "subscriber",
                                "status": "scheduled"
                              }
                            ]
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}/cancel": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "post": {
                "tags": [
                  "jobs"
                ],
                "operationId": "cancelJob",
                "summary": "Cancel a job",
                "description": "An accepted or scheduled job is cancelled at once (200). A running job is asked to \#
        stop: its operation is cancelled cooperatively and the job ends `cancelled` (202 while it is still running, \#
        200 if it has already stopped when the answer is made).",
                "requestBody": {
                  "required": false,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/CancelRequest"
                      },
                      "example": {
                        "reason": "customer changed their mind"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The job is cancelled.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobEnvelope"
                        },
                        "example": {
                          "job": {
                            "id": "01M8YP16MEWF43TGXQ4472WQTD",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "cancelled",
                            "sagaId": null,
                            "acceptedAt": "2026-12-03T19:27:50.905Z",
                            "scheduledAt": "2026-12-03T19:27:50.911Z",
                            "startedAt": null,
                            "completedAt": "2026-12-03T19:27:50.914Z",
                            "input": {
                              "text": "hi"
                            },
                            "result": null,
                            "resultSummary": null,
                            "error": null,
                            "diagnostics": null,
                            "retryCount": 0,
                            "attempt": 0,
                            "maxAttempts": 3,
                            "attempts": [],
                            "runAt": null,
                            "conclusion": null,
                            "cancellationReason": "customer changed their mind",
                            "cancelRequested": null,
                            "callTree": null,
                            "worker": null,
                            "source": "http",
                            "tasks": {
                              "total": 1,
                              "continuations": 0,
                              "continuationsFinished": 0,
                              "byStatus": {
                                "cancelled": 1
                              }
                            },
                            "settled": true
                          }
                        }
                      }
                    }
                  },
                  "202": {
                    "description": "The job is running; cancellation is requested (`cancelRequested` holds the \#
        reason).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobEnvelope"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body is not a JSON object, or `reason` is not a string of 1 to 500 bytes.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "examples": {
                          "invalid_json": {
                            "value": {
                              "error": {
                                "code": "invalid_json",
                                "message": "the body must be a JSON object like {\"reason\": \"...\"}"
                              }
                            }
                          },
                          "invalid_request": {
                            "value": {
                              "error": {
                                "code": "invalid_request",
                                "message": "reason must be a string of 1 to 500 bytes"
                              }
                            }
                          }
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
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "409": {
                    "description": "The job is already finished.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_finished",
                            "message": "job f-1 is already failed; nothing to cancel"
                          }
                        }
                      }
                    }
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/jobs/{id}/retry": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "post": {
                "tags": [
                  "jobs"
                ],
                "operationId": "retryJob",
                "summary": "Run a failed or cancelled job again",
                "description": "The job is scheduled again under the same id with a fresh budget of attempts \#
        (`maxAttempts` grows by the job's original budget). Its result, error and cancellation are cleared.",
                "responses": {
                  "202": {
                    "description": "The job, scheduled again.",
                    "headers": {
                      "Location": {
                        "$ref": "#/components/headers/Location"
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
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "409": {
                    "description": "The job is not failed or cancelled.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_not_retryable",
                            "message": "job ord-1 is succeeded; only failed or cancelled jobs can be retried"
                          }
                        }
                      }
                    }
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/dead-letters": {
              "get": {
                "tags": [
                  "dead letters"
                ],
                "operationId": "listDeadLetters",
                "summary": "List tasks whose attempts ran out, newest first",
                "parameters": [
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "description": "Page size (400 `invalid_request` outside 1 to 500).",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 500,
                      "default": 50
                    }
                  },
                  {
                    "name": "cursor",
                    "in": "query",
                    "required": false,
                    "description": "A previous page's `nextCursor` (a dead-letter entry id).",
                    "schema": {
                      "type": "string",
                      "pattern": "^[0-9]{1,19}-[0-9]{1,19}$"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of dead letters.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/DeadLetterList"
                        },
                        "example": {
                          "deadLetters": [
                            {
                              "id": "1796326068243-0",
                              "jobId": "f-1",
                              "taskId": "",
                              "kind": "primary",
                              "operation": "demo.fail",
                              "attempt": 2,
                              "errorCode": "demo_failure",
                              "errorMessage": "x",
                              "at": "2026-12-03T19:27:48.243Z"
                            }
                          ],
                          "nextCursor": null
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "`limit` is not a whole number from 1 to 500, or `cursor` is not an entry id.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "invalid_request",
                            "message": "cursor must be a value returned as nextCursor"
                          }
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
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/dead-letters/{entryId}/requeue": {
              "parameters": [
                {
                  "name": "entryId",
                  "in": "path",
                  "required": true,
                  "description": "The dead letter's `id`.",
                  "schema": {
                    "type": "string",
                    "pattern": "^[0-9]{1,20}-[0-9]{1,20}$"
                  },
                  "example": "1796326068243-0"
                }
              ],
              "post": {
                "tags": [
                  "dead letters"
                ],
                "operationId": "requeueDeadLetter",
                "summary": "Run a dead task again and remove its dead letter",
                "description": "A primary task is retried like `POST /v1/jobs/{id}/retry`; a subscriber task runs \#
        again with a fresh budget of attempts, and its job is no longer settled until it finishes.",
                "responses": {
                  "202": {
                    "description": "The task is scheduled again; the body holds its job and the removed entry id.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/RequeueResult"
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
                    "description": "No dead letter has this id, or its job no longer exists.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "examples": {
                          "dead_letter_not_found": {
                            "value": {
                              "error": {
                                "code": "dead_letter_not_found",
                                "message": "no dead letter '1796326068243-0'"
                              }
                            }
                          },
                          "job_not_found": {
                            "value": {
                              "error": {
                                "code": "job_not_found",
                                "message": "the dead letter's job f-1 no longer exists"
                              }
                            }
                          }
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The task is no longer failed (it was retried already), or the entry names no \#
        job.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "examples": {
                          "not_retryable": {
                            "value": {
                              "error": {
                                "code": "not_retryable",
                                "message": "the task is no longer failed; it was retried already"
                              }
                            }
                          },
                          "dead_letter_unusable": {
                            "value": {
                              "error": {
                                "code": "dead_letter_unusable",
                                "message": "the dead letter names no job"
                              }
                            }
                          }
                        }
                      }
                    }
                  },
                  "500": {
                    "$ref": "#/components/responses/InternalError"
                  },
                  "503": {
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/v1/operations": {
              "get": {
                "tags": [
                  "operations"
                ],
                "operationId": "listOperations",
                "summary": "List the operations workers offer",
                "description": "Workers register their operations when they start; the list is empty until one has.",
                "responses": {
                  "200": {
                    "description": "The operations.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OperationList"
                        },
                        "example": {
                          "operations": [
                            {
                              "name": "demo.echo",
                              "description": "Returns its input unchanged.",
                              "maxAttempts": 3
                            }
                          ]
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
                    "$ref": "#/components/responses/RedisUnavailable"
                  }
                }
              }
            },
            "/healthz": {
              "get": {
                "tags": [
                  "operational"
                ],
                "operationId": "health",
                "summary": "Health of the gateway",
                "responses": {
                  "200": {
                    "description": "Redis answers and the event stream is followed.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        },
                        "example": {
                          "status": "ok",
                          "redis": "up",
                          "replyStream": "following"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis does not answer, or the event stream is not followed.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        },
                        "example": {
                          "status": "unavailable",
                          "redis": "down",
                          "error": "connection refused"
                        }
                      }
                    }
                  }
                },
                "security": []
              }
            },
            "/metrics": {
              "get": {
                "tags": [
                  "operational"
                ],
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "responses": {
                  "200": {
                    "description": "Prometheus text exposition format 0.0.4.",
                    "content": {
                      "text/plain": {
                        "schema": {
                          "type": "string"
                        },
                        "example": "# TYPE cncf_jobs_submitted_total \#
        counter\ncncf_jobs_submitted_total{mode=\"jobAsync\",operation=\"demo.echo\"} 1\n"
                      }
                    }
                  }
                },
                "security": []
              }
            },
            "/openapi.json": {
              "get": {
                "tags": [
                  "operational"
                ],
                "operationId": "openAPI",
                "summary": "This OpenAPI document",
                "responses": {
                  "200": {
                    "description": "The OpenAPI 3.0.3 description of the API.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  }
                },
                "security": []
              }
            },
            "/v1/audit": {
              "get": {
                "tags": [
                  "audit"
                ],
                "operationId": "queryAudit",
                "summary": "Query the audit trail (auditor, admin)",
                "description": "Answered by the audit service from its SQLite archive (the gateway passes the \#
        request to `AUDIT_URL`).",
                "parameters": [
                  {
                    "name": "since",
                    "in": "query",
                    "required": false,
                    "description": "Entries at or after this time (milliseconds since the epoch or RFC 3339 UTC).",
                    "schema": {
                      "type": "string",
                      "pattern": \#
        "^([0-9]{1,13}|(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0\#
        [1-9]|1[0-9]|2[0-8]))|20(0[48]|[2468][048]|[13579][26])-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0\#
        -9]{1,3})?Z)?$"
                    }
                  },
                  {
                    "name": "until",
                    "in": "query",
                    "required": false,
                    "description": "Entries before this time (same forms as since).",
                    "schema": {
                      "type": "string",
                      "pattern": \#
        "^([0-9]{1,13}|(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0\#
        [1-9]|1[0-9]|2[0-8]))|20(0[48]|[2468][048]|[13579][26])-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0\#
        -9]{1,3})?Z)?$"
                    }
                  },
                  {
                    "name": "principal",
                    "in": "query",
                    "required": false,
                    "description": "Exact principal.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "type",
                    "in": "query",
                    "required": false,
                    "description": "Exact event type, e.g. job.failed.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "description": "Page size.",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 500,
                      "default": 100
                    }
                  },
                  {
                    "name": "cursor",
                    "in": "query",
                    "required": false,
                    "description": "The nextCursor of the previous page.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 9223372036854775807
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of audit entries, oldest first.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/AuditPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A malformed parameter or `limit` out of range (`invalid_request`). A `since` \#
        after `until` matches nothing.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
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
                  "500": {
                    "description": "The audit archive cannot be read (`archive_unavailable`).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The gateway has no `AUDIT_URL`, or the audit service does not answer \#
        (`audit_unavailable`).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/v1/jobs/{id}/audit": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "description": "Job id.",
                  "schema": {
                    "type": "string",
                    "minLength": 1
                  },
                  "example": "01M8YP16MEWF43TGXQ4472WQTD"
                }
              ],
              "get": {
                "tags": [
                  "audit"
                ],
                "operationId": "jobAudit",
                "summary": "The audit trail of one job",
                "description": "Like `GET /v1/audit` with `jobId` set to the job.",
                "parameters": [
                  {
                    "name": "since",
                    "in": "query",
                    "required": false,
                    "description": "Entries at or after this time (milliseconds since the epoch or RFC 3339 UTC).",
                    "schema": {
                      "type": "string",
                      "pattern": \#
        "^([0-9]{1,13}|(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0\#
        [1-9]|1[0-9]|2[0-8]))|20(0[48]|[2468][048]|[13579][26])-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0\#
        -9]{1,3})?Z)?$"
                    }
                  },
                  {
                    "name": "until",
                    "in": "query",
                    "required": false,
                    "description": "Entries before this time (same forms as since).",
                    "schema": {
                      "type": "string",
                      "pattern": \#
        "^([0-9]{1,13}|(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0\#
        [1-9]|1[0-9]|2[0-8]))|20(0[48]|[2468][048]|[13579][26])-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0\#
        -9]{1,3})?Z)?$"
                    }
                  },
                  {
                    "name": "principal",
                    "in": "query",
                    "required": false,
                    "description": "Exact principal.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "type",
                    "in": "query",
                    "required": false,
                    "description": "Exact event type, e.g. job.failed.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "description": "Page size.",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 500,
                      "default": 100
                    }
                  },
                  {
                    "name": "cursor",
                    "in": "query",
                    "required": false,
                    "description": "The nextCursor of the previous page.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 9223372036854775807
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of audit entries, oldest first.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/AuditPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A malformed parameter or `limit` out of range (`invalid_request`). A `since` \#
        after `until` matches nothing.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/JobNotFound"
                  },
                  "500": {
                    "description": "The audit archive cannot be read (`archive_unavailable`).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The gateway has no `AUDIT_URL`, or the audit service does not answer \#
        (`audit_unavailable`).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "components": {
            "schemas": {
              "JobStatus": {
                "type": "string",
                "enum": [
                  "accepted",
                  "scheduled",
                  "running",
                  "succeeded",
                  "failed",
                  "cancelled"
                ],
                "description": "`accepted` (recorded, not yet scheduled) → `scheduled` (waiting for a worker, or \#
        for `runAt`) → `running` → `succeeded`, `failed` or `cancelled`. A running job goes back to `scheduled` \#
        when an attempt fails and another is allowed, or when its worker died; a failed or cancelled job goes back \#
        to `scheduled` when it is retried."
              },
              "ExecutionMode": {
                "type": "string",
                "enum": [
                  "sync",
                  "jobSync",
                  "jobAsync",
                  "jobSyncWithAsyncCont"
                ],
                "description": "How a command runs and what its caller gets back:\n\n- `sync`: runs on a worker \#
        while the caller waits; no job is recorded.\n- `jobSync`: a job is recorded and the caller waits until it is \#
        settled (primary task and every continuation task finished).\n- `jobAsync`: a job is recorded and the caller \#
        gets it at once; workers run it later.\n- `jobSyncWithAsyncCont`: a job is recorded and the caller waits for \#
        its primary task only; continuation tasks go on running afterwards."
              },
              "ErrorAction": {
                "type": "string",
                "enum": [
                  "fixInput",
                  "retryNow",
                  "retryLater",
                  "escalate"
                ],
                "description": "What to do about a failure: fix the input (running it again fails again), run it \#
        again now, run it again later, or ask a person."
              },
              "ErrorInfo": {
                "type": "object",
                "description": "Why a job, task or synchronous command failed.",
                "required": [
                  "code",
                  "message",
                  "action"
                ],
                "properties": {
                  "code": {
                    "type": "string",
                    "description": "Stable snake_case code, e.g. `demo_failure`, `invalid_input`, `cancelled`."
                  },
                  "message": {
                    "type": "string",
                    "description": "Human text."
                  },
                  "action": {
                    "$ref": "#/components/schemas/ErrorAction"
                  }
                }
              },
              "Error": {
                "type": "object",
                "description": "The body of every error response (4xx and 5xx) except a failed `sync` command (422), \#
        which answers with a SyncResult.",
                "required": [
                  "error"
                ],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": [
                      "code",
                      "message"
                    ],
                    "properties": {
                      "code": {
                        "type": "string",
                        "description": "Stable snake_case code, meant for programs."
                      },
                      "message": {
                        "type": "string",
                        "description": "Human text saying what is wrong."
                      }
                    }
                  }
                }
              },
              "CommandRequest": {
                "type": "object",
                "description": "A command to run. Unknown members are refused (400 `invalid_request`).",
                "required": [
                  "operation"
                ],
                "additionalProperties": false,
                "properties": {
                  "operation": {
                    "type": "string",
                    "description": "`component.operation`: two or more dot-separated parts of letters, digits, `_` \#
        and `-`, each starting with a letter; one of those `GET /v1/operations` lists.",
                    "maxLength": 128,
                    "pattern": "^[A-Za-z][A-Za-z0-9_-]*(\\.[A-Za-z][A-Za-z0-9_-]*)+$",
                    "example": "demo.echo"
                  },
                  "input": {
                    "nullable": true,
                    "description": "Any JSON value given to the operation; default `{}`."
                  },
                  "mode": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/ExecutionMode"
                      }
                    ],
                    "default": "jobAsync",
                    "nullable": true
                  },
                  "jobId": {
                    "type": "string",
                    "description": "Your own id for the job (not for `sync`). Submitting again with the same \#
        `jobId`, operation and input returns the existing job; with different content it is refused (409).",
                    "pattern": "^[A-Za-z0-9._-]{1,64}$",
                    "example": "order-1234.echo",
                    "nullable": true
                  },
                  "principal": {
                    "type": "string",
                    "description": "On whose behalf the job runs; default: the caller's principal. Naming another \#
        principal needs the admin role (403 otherwise).",
                    "minLength": 1,
                    "maxLength": 256,
                    "nullable": true
                  },
                  "maxAttempts": {
                    "type": "integer",
                    "description": "Attempts allowed before the job fails for good; default: the operation's retry \#
        policy (see `GET /v1/operations`).",
                    "minimum": 1,
                    "maximum": 100,
                    "nullable": true
                  },
                  "runAt": {
                    "description": "Do not start before this time: milliseconds since the Unix epoch, or an RFC 3339 \#
        time in UTC (`2026-12-24T18:00:00Z`), from 2000 to 2099; a time in the past starts at once. For jobSync and \#
        jobSyncWithAsyncCont the caller's wait (timeoutMs) includes the delay. Ignored in mode sync, which always \#
        runs at once.",
                    "oneOf": [
                      {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": 4102444799999
                      },
                      {
                        "type": "string",
                        "pattern": \#
        "^(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|\#
        2[0-8]))|20(0[48]|[2468][048]|[13579][26])-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,3})?Z$"
                      }
                    ],
                    "nullable": true
                  },
                  "timeoutMs": {
                    "type": "integer",
                    "description": "How long the caller waits, for `sync`, `jobSync` and `jobSyncWithAsyncCont` \#
        (ignored for `jobAsync`).",
                    "minimum": 0,
                    "maximum": 60000,
                    "default": 10000,
                    "nullable": true
                  },
                  "idempotencyKey": {
                    "type": "string",
                    "description": "Submitting again with the same key returns the job made by the first submission \#
        (202), whatever the rest of the body says. Same meaning as the `Idempotency-Key` header, which wins when \#
        both are given. Not used by `sync`.",
                    "pattern": "^[!-~]{1,200}$",
                    "nullable": true
                  }
                }
              },
              "Attempt": {
                "type": "object",
                "description": "One finished attempt of a job or task.",
                "required": [
                  "attempt",
                  "worker",
                  "startedAt",
                  "endedAt",
                  "outcome"
                ],
                "properties": {
                  "attempt": {
                    "type": "integer",
                    "description": "Attempt number, from 1.",
                    "minimum": 1
                  },
                  "worker": {
                    "type": "string",
                    "description": "Consumer name of the worker that ran it."
                  },
                  "startedAt": {
                    "type": "integer",
                    "description": "Milliseconds since the Unix epoch.",
                    "format": "int64"
                  },
                  "endedAt": {
                    "type": "integer",
                    "description": "Milliseconds since the Unix epoch.",
                    "format": "int64"
                  },
                  "outcome": {
                    "type": "string",
                    "enum": [
                      "succeeded",
                      "failed",
                      "cancelled",
                      "crashed"
                    ],
                    "description": "`crashed`: the worker stopped renewing its lease and was taken for dead."
                  },
                  "error": {
                    "$ref": "#/components/schemas/ErrorInfo"
                  }
                }
              },
              "TaskCounts": {
                "type": "object",
                "description": "The job's tasks: the primary task plus one task per asynchronous subscriber started \#
        by its events (continuations).",
                "required": [
                  "total",
                  "continuations",
                  "continuationsFinished",
                  "byStatus"
                ],
                "properties": {
                  "total": {
                    "type": "integer",
                    "description": "Primary task plus continuations.",
                    "minimum": 1
                  },
                  "continuations": {
                    "type": "integer",
                    "description": "Continuation (subscriber) tasks created so far.",
                    "minimum": 0
                  },
                  "continuationsFinished": {
                    "type": "integer",
                    "description": "Continuation tasks that have finished.",
                    "minimum": 0
                  },
                  "byStatus": {
                    "type": "object",
                    "description": "Number of tasks per status. Counts every task in `GET /v1/jobs/{id}`, `/wait` \#
        and the answers of `jobSync` and `jobSyncWithAsyncCont` submissions; elsewhere (lists, `jobAsync` \#
        submissions, cancel, retry, requeue) only the primary task is counted.",
                    "additionalProperties": {
                      "type": "integer",
                      "minimum": 0
                    }
                  }
                }
              },
              "Job": {
                "type": "object",
                "description": "One execution of a command, kept for `JOB_RETENTION_SECONDS` after it finished.",
                "required": [
                  "id",
                  "operation",
                  "principal",
                  "mode",
                  "status",
                  "sagaId",
                  "acceptedAt",
                  "scheduledAt",
                  "startedAt",
                  "completedAt",
                  "input",
                  "result",
                  "resultSummary",
                  "error",
                  "diagnostics",
                  "retryCount",
                  "attempt",
                  "maxAttempts",
                  "attempts",
                  "runAt",
                  "conclusion",
                  "cancellationReason",
                  "cancelRequested",
                  "callTree",
                  "worker",
                  "source",
                  "tasks",
                  "settled"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "description": "The client's `jobId`, or a generated id (generated ids sort by time)."
                  },
                  "operation": {
                    "type": "string",
                    "description": "e.g. `demo.echo`."
                  },
                  "principal": {
                    "type": "string",
                    "description": "Who submitted it, as given; `anonymous` when not given."
                  },
                  "mode": {
                    "$ref": "#/components/schemas/ExecutionMode"
                  },
                  "status": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/JobStatus"
                      }
                    ],
                    "description": "Follows the primary work only; see `settled` for the continuations."
                  },
                  "sagaId": {
                    "type": "string",
                    "nullable": true,
                    "description": "The saga this job is a step of."
                  },
                  "acceptedAt": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the job was recorded."
                  },
                  "scheduledAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When it was last scheduled (queued for workers, or put aside until `runAt`)."
                  },
                  "startedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When a worker last started it."
                  },
                  "completedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When it reached a terminal status."
                  },
                  "input": {
                    "nullable": true,
                    "description": "The operation's input."
                  },
                  "result": {
                    "nullable": true,
                    "description": "The result of a succeeded job."
                  },
                  "resultSummary": {
                    "type": "string",
                    "nullable": true,
                    "description": "Short text about the result (the result's JSON, shortened)."
                  },
                  "error": {
                    "description": "Why it failed or was cancelled.",
                    "type": "object",
                    "required": [
                      "code",
                      "message",
                      "action"
                    ],
                    "properties": {
                      "code": {
                        "type": "string",
                        "description": "Stable snake_case code, e.g. `demo_failure`, `invalid_input`, `cancelled`."
                      },
                      "message": {
                        "type": "string",
                        "description": "Human text."
                      },
                      "action": {
                        "$ref": "#/components/schemas/ErrorAction"
                      }
                    },
                    "nullable": true
                  },
                  "diagnostics": {
                    "type": "object",
                    "nullable": true,
                    "description": "Facts about the last attempt: `worker`, `attempt`, `durationMicros`."
                  },
                  "retryCount": {
                    "type": "integer",
                    "description": "How many times the work ran again after its first attempt.",
                    "minimum": 0
                  },
                  "attempt": {
                    "type": "integer",
                    "description": "Number of the current or last attempt; 0 before the first.",
                    "minimum": 0
                  },
                  "maxAttempts": {
                    "type": "integer",
                    "description": "Attempts allowed before the job fails for good (a retry adds a fresh budget).",
                    "minimum": 1
                  },
                  "attempts": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Attempt"
                    },
                    "description": "Finished attempts, oldest first."
                  },
                  "runAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When a delayed start or a retry with back-off is due."
                  },
                  "conclusion": {
                    "type": "string",
                    "nullable": true,
                    "description": "Why it ended as it did, when that needs saying, e.g. `attempts exhausted: 2 of \#
        2`."
                  },
                  "cancellationReason": {
                    "type": "string",
                    "nullable": true,
                    "description": "The reason given when it was cancelled."
                  },
                  "cancelRequested": {
                    "type": "string",
                    "nullable": true,
                    "description": "The reason of a cancellation asked for while it runs; set until the worker \#
        stops."
                  },
                  "callTree": {
                    "description": "Spans of the primary task's last attempt. Kept when the attempt failed, took a \#
        second or more, or recorded nested spans; otherwise null.",
                    "type": "object",
                    "required": [
                      "name",
                      "startOffsetMicros",
                      "outcome"
                    ],
                    "properties": {
                      "name": {
                        "type": "string",
                        "description": "Operation, subscriber or step name."
                      },
                      "startedAt": {
                        "type": "string",
                        "format": "date-time",
                        "description": "Wall-clock start; on root spans only, absent for a task that has not \#
        started."
                      },
                      "startOffsetMicros": {
                        "type": "integer",
                        "description": "Start, in microseconds after the root span's start.",
                        "minimum": 0
                      },
                      "durationMicros": {
                        "type": "integer",
                        "description": "Duration in microseconds; absent for a task that has not finished and kept \#
        no call tree.",
                        "minimum": 0
                      },
                      "outcome": {
                        "type": "string",
                        "description": "`ok`, `error`, `unfinished`; for a task without a recorded tree, its status \#
        (`scheduled`, `running`, `failed`, `cancelled`)."
                      },
                      "children": {
                        "type": "array",
                        "items": {
                          "$ref": "#/components/schemas/Span"
                        },
                        "description": "Nested steps."
                      },
                      "task": {
                        "type": "string",
                        "description": "Task id (root span of a task, calltree endpoint only)."
                      },
                      "kind": {
                        "type": "string",
                        "enum": [
                          "primary",
                          "subscriber"
                        ]
                      },
                      "status": {
                        "$ref": "#/components/schemas/JobStatus"
                      },
                      "tasks": {
                        "type": "array",
                        "items": {
                          "$ref": "#/components/schemas/Span"
                        },
                        "description": "Root spans of the tasks started by this task's events."
                      }
                    },
                    "nullable": true
                  },
                  "worker": {
                    "type": "string",
                    "nullable": true,
                    "description": "Consumer name of the worker that ran the last attempt."
                  },
                  "source": {
                    "type": "string",
                    "enum": [
                      "http",
                      "stream"
                    ],
                    "description": "`http`: through the gateway; `stream`: written onto the command stream directly."
                  },
                  "tasks": {
                    "$ref": "#/components/schemas/TaskCounts"
                  },
                  "settled": {
                    "type": "boolean",
                    "description": "True once the primary task and every continuation task have finished."
                  }
                }
              },
              "JobEnvelope": {
                "type": "object",
                "required": [
                  "job"
                ],
                "properties": {
                  "job": {
                    "$ref": "#/components/schemas/Job"
                  }
                }
              },
              "SyncResult": {
                "type": "object",
                "description": "The answer to a `sync` command: its result (200), or why it failed (422). No job \#
        exists.",
                "required": [
                  "mode",
                  "status"
                ],
                "properties": {
                  "mode": {
                    "type": "string",
                    "enum": [
                      "sync"
                    ]
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "succeeded",
                      "failed"
                    ]
                  },
                  "result": {
                    "nullable": true,
                    "description": "The operation's result, when it succeeded."
                  },
                  "error": {
                    "$ref": "#/components/schemas/ErrorInfo"
                  }
                }
              },
              "WaitResult": {
                "type": "object",
                "required": [
                  "job",
                  "timedOut"
                ],
                "properties": {
                  "job": {
                    "$ref": "#/components/schemas/Job"
                  },
                  "timedOut": {
                    "type": "boolean",
                    "description": "True when the time ran out first; `job` is then the job as it is now."
                  }
                }
              },
              "JobResult": {
                "type": "object",
                "required": [
                  "jobId",
                  "status",
                  "result",
                  "error",
                  "settled"
                ],
                "properties": {
                  "jobId": {
                    "type": "string",
                    "description": "The job id."
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "succeeded",
                      "failed",
                      "cancelled"
                    ]
                  },
                  "result": {
                    "nullable": true,
                    "description": "The result; null unless the job succeeded."
                  },
                  "error": {
                    "description": "Why it failed; null when it succeeded.",
                    "type": "object",
                    "required": [
                      "code",
                      "message",
                      "action"
                    ],
                    "properties": {
                      "code": {
                        "type": "string",
                        "description": "Stable snake_case code, e.g. `demo_failure`, `invalid_input`, `cancelled`."
                      },
                      "message": {
                        "type": "string",
                        "description": "Human text."
                      },
                      "action": {
                        "$ref": "#/components/schemas/ErrorAction"
                      }
                    },
                    "nullable": true
                  },
                  "settled": {
                    "type": "boolean",
                    "description": "Whether every continuation task has finished too."
                  }
                }
              },
              "Task": {
                "type": "object",
                "description": "One unit of work of a job: the primary task that runs the command (`<job>/primary`), \#
        or a subscriber task (`<job>.<n>`) started by an event the job published.",
                "required": [
                  "id",
                  "jobId",
                  "parentTaskId",
                  "kind",
                  "runs",
                  "status",
                  "attempt",
                  "maxAttempts",
                  "createdAt",
                  "startedAt",
                  "completedAt",
                  "error",
                  "eventType",
                  "attempts",
                  "worker"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "description": "`<job>/primary` or `<job>.<n>`.",
                    "example": "ord-1.1"
                  },
                  "jobId": {
                    "type": "string",
                    "description": "The job it belongs to."
                  },
                  "parentTaskId": {
                    "type": "string",
                    "nullable": true,
                    "description": "The task whose event started it; null for the primary task."
                  },
                  "kind": {
                    "type": "string",
                    "enum": [
                      "primary",
                      "subscriber"
                    ]
                  },
                  "runs": {
                    "type": "string",
                    "description": "The operation (primary) or subscriber name it runs."
                  },
                  "status": {
                    "$ref": "#/components/schemas/JobStatus"
                  },
                  "attempt": {
                    "type": "integer",
                    "description": "Number of the current or last attempt; 0 before the first.",
                    "minimum": 0
                  },
                  "maxAttempts": {
                    "type": "integer",
                    "description": "Attempts allowed.",
                    "minimum": 1
                  },
                  "createdAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "startedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When a worker last started it."
                  },
                  "completedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When it finished."
                  },
                  "error": {
                    "description": "Why it failed.",
                    "type": "object",
                    "required": [
                      "code",
                      "message",
                      "action"
                    ],
                    "properties": {
                      "code": {
                        "type": "string",
                        "description": "Stable snake_case code, e.g. `demo_failure`, `invalid_input`, `cancelled`."
                      },
                      "message": {
                        "type": "string",
                        "description": "Human text."
                      },
                      "action": {
                        "$ref": "#/components/schemas/ErrorAction"
                      }
                    },
                    "nullable": true
                  },
                  "eventType": {
                    "type": "string",
                    "nullable": true,
                    "description": "The event that started a subscriber task, e.g. `order.placed`."
                  },
                  "attempts": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Attempt"
                    }
                  },
                  "worker": {
                    "type": "string",
                    "nullable": true,
                    "description": "Consumer name of the worker that ran the last attempt."
                  }
                }
              },
              "TaskList": {
                "type": "object",
                "required": [
                  "jobId",
                  "settled",
                  "tasks"
                ],
                "properties": {
                  "jobId": {
                    "type": "string",
                    "description": "The job id."
                  },
                  "settled": {
                    "type": "boolean",
                    "description": "True once every task has finished."
                  },
                  "tasks": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Task"
                    },
                    "description": "The primary task first, then the subscriber tasks in creation order."
                  }
                }
              },
              "Span": {
                "type": "object",
                "description": "One timed step of a task. Offsets are relative to the start of the task's root span. \#
        In `GET /v1/jobs/{id}/calltree` the root span of each task also carries `task`, `kind`, `status` and the \#
        spans of the tasks its events started (`tasks`), and its last child is `commit`: from the end of the work to \#
        when Redis applied the commit.",
                "required": [
                  "name",
                  "startOffsetMicros",
                  "outcome"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "description": "Operation, subscriber or step name."
                  },
                  "startedAt": {
                    "type": "string",
                    "format": "date-time",
                    "description": "Wall-clock start; on root spans only, absent for a task that has not started."
                  },
                  "startedAtMicros": {
                    "type": "integer",
                    "description": "The same start in microseconds since the epoch; on root spans only."
                  },
                  "startOffsetMicros": {
                    "type": "integer",
                    "description": "Start, in microseconds after the root span's start.",
                    "minimum": 0
                  },
                  "durationMicros": {
                    "type": "integer",
                    "description": "Duration in microseconds; absent for a task that has not finished and kept no \#
        call tree.",
                    "minimum": 0
                  },
                  "outcome": {
                    "type": "string",
                    "description": "`ok`, `error`, `unfinished`; for a task without a recorded tree, its status \#
        (`scheduled`, `running`, `failed`, `cancelled`)."
                  },
                  "children": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Span"
                    },
                    "description": "Nested steps."
                  },
                  "task": {
                    "type": "string",
                    "description": "Task id (root span of a task, calltree endpoint only)."
                  },
                  "kind": {
                    "type": "string",
                    "enum": [
                      "primary",
                      "subscriber"
                    ]
                  },
                  "status": {
                    "$ref": "#/components/schemas/JobStatus"
                  },
                  "tasks": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Span"
                    },
                    "description": "Root spans of the tasks started by this task's events."
                  }
                }
              },
              "CallTree": {
                "type": "object",
                "required": [
                  "jobId",
                  "operation",
                  "tree"
                ],
                "properties": {
                  "jobId": {
                    "type": "string",
                    "description": "The job id."
                  },
                  "operation": {
                    "type": "string",
                    "description": "The job's operation."
                  },
                  "tree": {
                    "$ref": "#/components/schemas/Span"
                  }
                }
              },
              "CancelRequest": {
                "type": "object",
                "properties": {
                  "reason": {
                    "type": "string",
                    "description": "Why; 1 to 500 bytes of UTF-8. Absent or null: `cancelled by <principal>`, naming \#
        the caller.",
                    "nullable": true,
                    "minLength": 1,
                    "maxLength": 500
                  }
                }
              },
              "DeadLetter": {
                "type": "object",
                "description": "A task whose attempts ran out.",
                "required": [
                  "id",
                  "jobId",
                  "taskId",
                  "kind",
                  "operation",
                  "attempt",
                  "errorCode",
                  "errorMessage",
                  "at"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "description": "Entry id (`<ms>-<n>`), used to requeue it.",
                    "example": "1796326068243-0"
                  },
                  "jobId": {
                    "type": "string",
                    "description": "The job."
                  },
                  "taskId": {
                    "type": "string",
                    "description": "The subscriber task id; empty for a primary task."
                  },
                  "kind": {
                    "type": "string",
                    "enum": [
                      "primary",
                      "subscriber"
                    ]
                  },
                  "operation": {
                    "type": "string",
                    "description": "The job's operation."
                  },
                  "attempt": {
                    "type": "integer",
                    "description": "The last attempt's number.",
                    "minimum": 1
                  },
                  "errorCode": {
                    "type": "string",
                    "description": "The last error's code."
                  },
                  "errorMessage": {
                    "type": "string",
                    "description": "The last error's message."
                  },
                  "at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the task failed for good."
                  }
                }
              },
              "DeadLetterList": {
                "type": "object",
                "required": [
                  "deadLetters",
                  "nextCursor"
                ],
                "properties": {
                  "deadLetters": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/DeadLetter"
                    },
                    "description": "Newest first."
                  },
                  "nextCursor": {
                    "type": "string",
                    "nullable": true,
                    "description": "Pass as `cursor` for the next page; null on the last page."
                  }
                }
              },
              "RequeueResult": {
                "type": "object",
                "required": [
                  "job",
                  "requeued"
                ],
                "properties": {
                  "job": {
                    "$ref": "#/components/schemas/Job"
                  },
                  "requeued": {
                    "type": "string",
                    "description": "The dead-letter entry id, now removed."
                  }
                }
              },
              "JobList": {
                "type": "object",
                "required": [
                  "jobs",
                  "nextCursor"
                ],
                "properties": {
                  "jobs": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Job"
                    },
                    "description": "Newest first."
                  },
                  "nextCursor": {
                    "type": "string",
                    "nullable": true,
                    "description": "Pass as `cursor` for the next page (`<ms>:<id>`); null on the last page."
                  }
                }
              },
              "Operation": {
                "type": "object",
                "required": [
                  "name",
                  "description",
                  "maxAttempts"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "description": "e.g. `demo.echo`."
                  },
                  "description": {
                    "type": "string",
                    "description": "What it does and what input it takes."
                  },
                  "maxAttempts": {
                    "type": "integer",
                    "description": "Default attempts of its retry policy.",
                    "minimum": 1
                  }
                }
              },
              "OperationList": {
                "type": "object",
                "required": [
                  "operations"
                ],
                "properties": {
                  "operations": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Operation"
                    }
                  }
                }
              },
              "Health": {
                "type": "object",
                "required": [
                  "status",
                  "redis"
                ],
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": [
                      "ok",
                      "unavailable"
                    ]
                  },
                  "redis": {
                    "type": "string",
                    "enum": [
                      "up",
                      "down"
                    ]
                  },
                  "replyStream": {
                    "type": "string",
                    "enum": [
                      "following",
                      "not following"
                    ],
                    "description": "Whether the gateway follows its own reply stream, which wakes every wait and \#
        sync call."
                  },
                  "error": {
                    "type": "string",
                    "description": "Why Redis is unreachable."
                  }
                }
              },
              "AuditEntry": {
                "type": "object",
                "description": "One link of the audit chain.",
                "required": [
                  "seq",
                  "at",
                  "type",
                  "jobId",
                  "taskId",
                  "operation",
                  "principal",
                  "status",
                  "details",
                  "eventId",
                  "streamId",
                  "hash",
                  "prevHash"
                ],
                "properties": {
                  "seq": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Position in the chain, from 1."
                  },
                  "at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the event happened (RFC 3339, UTC)."
                  },
                  "type": {
                    "type": "string",
                    "example": "job.succeeded"
                  },
                  "jobId": {
                    "type": "string",
                    "minLength": 1,
                    "nullable": true,
                    "description": "null for entries about no job (`sync.executed`, `command.rejected`)."
                  },
                  "taskId": {
                    "type": "string",
                    "minLength": 1,
                    "nullable": true,
                    "description": "null for job-level events."
                  },
                  "operation": {
                    "type": "string"
                  },
                  "principal": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string"
                  },
                  "details": {
                    "description": "The event's details: parsed JSON when they are JSON, otherwise the text (\"\" \#
        when none)."
                  },
                  "eventId": {
                    "type": "string",
                    "description": "Entry id on the event stream."
                  },
                  "streamId": {
                    "type": "string",
                    "description": "Entry id on the audit stream."
                  },
                  "hash": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$"
                  },
                  "prevHash": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$"
                  }
                }
              },
              "AuditPage": {
                "type": "object",
                "required": [
                  "entries",
                  "nextCursor"
                ],
                "properties": {
                  "entries": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/AuditEntry"
                    }
                  },
                  "nextCursor": {
                    "type": "integer",
                    "nullable": true,
                    "description": "Pass back as `cursor` for the next page; null on the last page."
                  }
                }
              }
            },
            "responses": {
              "JobNotFound": {
                "description": "No job has this id.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    },
                    "example": {
                      "error": {
                        "code": "job_not_found",
                        "message": "no job with id '01M8YP16MEWF43TGXQ4472WQTD'"
                      }
                    }
                  }
                }
              },
              "InternalError": {
                "description": "Redis refused the request.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    },
                    "example": {
                      "error": {
                        "code": "internal_error",
                        "message": "job storage refused the request"
                      }
                    }
                  }
                }
              },
              "RedisUnavailable": {
                "description": "Redis cannot be reached.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    },
                    "example": {
                      "error": {
                        "code": "redis_unavailable",
                        "message": "job storage is unreachable; try again shortly"
                      }
                    }
                  }
                }
              },
              "Unauthorized": {
                "description": "No `Authorization: Bearer <token>` header, or a token the gateway does not know \#
        (`unauthorized`). Comes with `WWW-Authenticate: Bearer`.",
                "headers": {
                  "WWW-Authenticate": {
                    "schema": {
                      "type": "string"
                    },
                    "example": "Bearer"
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    },
                    "example": {
                      "error": {
                        "code": "unauthorized",
                        "message": "a valid token is required: Authorization: Bearer <token>"
                      }
                    }
                  }
                }
              },
              "Forbidden": {
                "description": "The caller's roles do not allow this route (`forbidden`).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    },
                    "example": {
                      "error": {
                        "code": "forbidden",
                        "message": "your roles do not allow dead-letters"
                      }
                    }
                  }
                }
              }
            },
            "headers": {
              "Location": {
                "description": "Path of the job: `/v1/jobs/<id>`.",
                "schema": {
                  "type": "string"
                },
                "example": "/v1/jobs/01M8YP16MEWF43TGXQ4472WQTD"
              }
            },
            "securitySchemes": {
              "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from the gateway's tokens file (CNCF_TOKENS_FILE)."
              }
            }
          },
          "security": [
            {
              "bearerToken": []
            }
          ]
        }
        """#
}
