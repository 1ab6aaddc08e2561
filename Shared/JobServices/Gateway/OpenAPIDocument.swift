// Generated from docs/openapi.json by ops/sync-openapi; do not edit by hand.

/// The OpenAPI description of the HTTP API, served at `GET /openapi.json`.
enum OpenAPIDocument {
    static let text = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "CNCF Job Management gateway API",
            "version": "1.0.0",
            "description": "HTTP/JSON API of `cncf-gateway`: submit commands that become asynchronous jobs, read, wait for and list jobs, list the operations workers offer.\n\nEvery request and response body is JSON except `/metrics`. Every error has the body `{\"error\": {\"code\": \"snake_case_code\", \"message\": \"human text\"}}`. On any path, a route that does not exist answers 404 `not_found` and a method the path does not support answers 405 `method_not_allowed`.\n\nNo authentication yet: `principal` is recorded as given."
          },
          "servers": [
            {
              "url": "http://127.0.0.1:8080",
              "description": "default GATEWAY_HOST:GATEWAY_PORT"
            }
          ],
          "tags": [
            {
              "name": "jobs",
              "description": "Submit and read jobs"
            },
            {
              "name": "operations",
              "description": "What workers can run"
            },
            {
              "name": "operational",
              "description": "Health and metrics"
            }
          ],
          "paths": {
            "/v1/commands": {
              "post": {
                "tags": [
                  "jobs"
                ],
                "operationId": "submitCommand",
                "summary": "Submit a command; it runs as an asynchronous job",
                "description": "Accepts the command and answers at once with the new job (status `accepted`). Submitting again with the same `jobId` and the same operation answers 202 with the existing job instead of creating another; the same `jobId` with different content answers 409 `job_exists`. Bodies larger than 1 MiB answer 413.",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/CommandRequest"
                      },
                      "examples": {
                        "minimal": {
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
                            "mode": "jobAsync",
                            "jobId": "order-1234.echo",
                            "principal": "alice"
                          }
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "202": {
                    "description": "Accepted: the job, new or (for a repeated `jobId`) existing.",
                    "headers": {
                      "Location": {
                        "description": "Path of the job: `/v1/jobs/<id>`.",
                        "schema": {
                          "type": "string"
                        },
                        "example": "/v1/jobs/01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobEnvelope"
                        },
                        "example": {
                          "job": {
                            "id": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "accepted",
                            "sagaId": null,
                            "acceptedAt": "2025-03-01T12:00:00.120Z",
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
                            "cancellationReason": null,
                            "callTree": null,
                            "worker": null,
                            "source": "http"
                          }
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body is not JSON, or does not describe a valid command (the message says what is wrong), or asks for a mode other than `jobAsync`. Error codes: `invalid_json`, `invalid_request`, `missing_operation`, `invalid_operation`, `invalid_mode`, `unsupported_mode`, `invalid_job_id`, `invalid_principal`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "invalid_request",
                            "message": "operation is required"
                          }
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "No worker offers this operation. Error codes: `unknown_operation`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "unknown_operation",
                            "message": "unknown operation demo.nope"
                          }
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The `jobId` is already used by a job with different content. Error codes: `job_exists`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_exists",
                            "message": "job order-1234.echo already exists with different content"
                          }
                        }
                      }
                    }
                  },
                  "413": {
                    "description": "The body is larger than 1 MiB. Error codes: `payload_too_large`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "payload_too_large",
                            "message": "request body exceeds 1048576 bytes"
                          }
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached. Error codes: `redis_unavailable`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "redis_unavailable",
                            "message": "Redis is not reachable"
                          }
                        }
                      }
                    }
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
                "description": "Pages through jobs newest first. Pass the `nextCursor` of a page as `cursor` to get the next one; `nextCursor` is null on the last page.",
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
                    "description": "Page size.",
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
                    "description": "Opaque cursor from a previous page's `nextCursor`.",
                    "schema": {
                      "type": "string"
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
                              "id": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF",
                              "operation": "demo.echo",
                              "principal": "alice",
                              "mode": "jobAsync",
                              "status": "succeeded",
                              "sagaId": null,
                              "acceptedAt": "2025-03-01T12:00:00.120Z",
                              "scheduledAt": "2025-03-01T12:00:00.135Z",
                              "startedAt": "2025-03-01T12:00:00.140Z",
                              "completedAt": "2025-03-01T12:00:00.142Z",
                              "input": {
                                "text": "hi"
                              },
                              "result": {
                                "text": "hi"
                              },
                              "resultSummary": "echoed 1 field",
                              "error": null,
                              "diagnostics": null,
                              "retryCount": 0,
                              "attempt": 1,
                              "cancellationReason": null,
                              "callTree": null,
                              "worker": "worker-host-4242",
                              "source": "http"
                            }
                          ],
                          "nextCursor": null
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "`status` is not a job status, or `limit` is not an integer from 1 to 500. Error codes: `invalid_request`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "invalid_request",
                            "message": "limit must be an integer from 1 to 500"
                          }
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached. Error codes: `redis_unavailable`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "redis_unavailable",
                            "message": "Redis is not reachable"
                          }
                        }
                      }
                    }
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
                  "example": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
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
                            "id": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "succeeded",
                            "sagaId": null,
                            "acceptedAt": "2025-03-01T12:00:00.120Z",
                            "scheduledAt": "2025-03-01T12:00:00.135Z",
                            "startedAt": "2025-03-01T12:00:00.140Z",
                            "completedAt": "2025-03-01T12:00:00.142Z",
                            "input": {
                              "text": "hi"
                            },
                            "result": {
                              "text": "hi"
                            },
                            "resultSummary": "echoed 1 field",
                            "error": null,
                            "diagnostics": null,
                            "retryCount": 0,
                            "attempt": 1,
                            "cancellationReason": null,
                            "callTree": null,
                            "worker": "worker-host-4242",
                            "source": "http"
                          }
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "No job has this id. Error codes: `job_not_found`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_not_found",
                            "message": "no job with id 01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
                          }
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached. Error codes: `redis_unavailable`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "redis_unavailable",
                            "message": "Redis is not reachable"
                          }
                        }
                      }
                    }
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
                  "example": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "waitForJob",
                "summary": "Wait until the job is finished or the time is up",
                "description": "Answers as soon as the job reaches a terminal status (`succeeded`, `failed`, `cancelled`), or when `timeoutMs` has passed, with `timedOut: true` and the job as it is then.",
                "parameters": [
                  {
                    "name": "timeoutMs",
                    "in": "query",
                    "required": false,
                    "description": "How long to wait, in milliseconds.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 300000,
                      "default": 30000
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The job, finished or not.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WaitResult"
                        },
                        "example": {
                          "job": {
                            "id": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF",
                            "operation": "demo.echo",
                            "principal": "alice",
                            "mode": "jobAsync",
                            "status": "succeeded",
                            "sagaId": null,
                            "acceptedAt": "2025-03-01T12:00:00.120Z",
                            "scheduledAt": "2025-03-01T12:00:00.135Z",
                            "startedAt": "2025-03-01T12:00:00.140Z",
                            "completedAt": "2025-03-01T12:00:00.142Z",
                            "input": {
                              "text": "hi"
                            },
                            "result": {
                              "text": "hi"
                            },
                            "resultSummary": "echoed 1 field",
                            "error": null,
                            "diagnostics": null,
                            "retryCount": 0,
                            "attempt": 1,
                            "cancellationReason": null,
                            "callTree": null,
                            "worker": "worker-host-4242",
                            "source": "http"
                          },
                          "timedOut": false
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "`timeoutMs` is not an integer from 0 to 300000. Error codes: `invalid_request`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "invalid_request",
                            "message": "timeoutMs must be an integer from 0 to 300000"
                          }
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "No job has this id. Error codes: `job_not_found`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_not_found",
                            "message": "no job with id 01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
                          }
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached. Error codes: `redis_unavailable`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "redis_unavailable",
                            "message": "Redis is not reachable"
                          }
                        }
                      }
                    }
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
                  "example": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
                }
              ],
              "get": {
                "tags": [
                  "jobs"
                ],
                "operationId": "getJobResult",
                "summary": "Read the outcome of a finished job",
                "responses": {
                  "200": {
                    "description": "The outcome: `result` for a succeeded job, `error` for a failed one.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobResult"
                        },
                        "example": {
                          "jobId": "01JNB8Q5W2T3Y4Z5A6B7C8D9EF",
                          "status": "succeeded",
                          "result": {
                            "text": "hi"
                          },
                          "error": null
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "No job has this id. Error codes: `job_not_found`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_not_found",
                            "message": "no job with id 01JNB8Q5W2T3Y4Z5A6B7C8D9EF"
                          }
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The job is not in a terminal status yet; the message names its status. Error codes: `job_not_finished`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "job_not_finished",
                            "message": "job 01JNB8Q5W2T3Y4Z5A6B7C8D9EF is not finished (status running)"
                          }
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached. Error codes: `redis_unavailable`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "redis_unavailable",
                            "message": "Redis is not reachable"
                          }
                        }
                      }
                    }
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
                "summary": "Operations the workers offer",
                "responses": {
                  "200": {
                    "description": "Every registered operation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OperationList"
                        },
                        "example": {
                          "operations": [
                            {
                              "name": "demo.echo",
                              "description": "Returns its input."
                            }
                          ]
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached. Error codes: `redis_unavailable`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        },
                        "example": {
                          "error": {
                            "code": "redis_unavailable",
                            "message": "Redis is not reachable"
                          }
                        }
                      }
                    }
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
                "summary": "Health of the gateway and its Redis connection",
                "responses": {
                  "200": {
                    "description": "Redis is reachable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        },
                        "example": {
                          "status": "ok"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Redis cannot be reached.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        },
                        "example": {
                          "status": "unavailable",
                          "reason": "Redis is not reachable"
                        }
                      }
                    }
                  }
                }
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
                    "description": "Metrics in the Prometheus text exposition format.",
                    "content": {
                      "text/plain; version=0.0.4": {
                        "schema": {
                          "type": "string"
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
                "description": "`accepted` → `scheduled` → `running` → one of the terminal statuses `succeeded`, `failed`, `cancelled`."
              },
              "JobMode": {
                "type": "string",
                "enum": [
                  "jobAsync"
                ],
                "description": "How the command runs. Only `jobAsync` exists for now."
              },
              "ErrorAction": {
                "type": "string",
                "enum": [
                  "fixInput",
                  "retryNow",
                  "retryLater",
                  "escalate"
                ],
                "description": "What the caller should do about the error."
              },
              "ErrorInfo": {
                "type": "object",
                "description": "Why a job failed.",
                "required": [
                  "code",
                  "message",
                  "action"
                ],
                "properties": {
                  "code": {
                    "type": "string",
                    "description": "Machine-readable snake_case code."
                  },
                  "message": {
                    "type": "string",
                    "description": "Human-readable text."
                  },
                  "action": {
                    "$ref": "#/components/schemas/ErrorAction"
                  }
                }
              },
              "Error": {
                "type": "object",
                "description": "Body of every error response.",
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
                        "pattern": "^[a-z][a-z0-9_]*$",
                        "description": "Machine-readable snake_case code."
                      },
                      "message": {
                        "type": "string",
                        "description": "Human-readable text."
                      }
                    }
                  }
                }
              },
              "CommandRequest": {
                "type": "object",
                "required": [
                  "operation"
                ],
                "properties": {
                  "operation": {
                    "type": "string",
                    "minLength": 1,
                    "description": "`component.operation`, one of `GET /v1/operations`.",
                    "example": "demo.echo"
                  },
                  "input": {
                    "description": "Input of the operation, any JSON value. Defaults to `{}`.",
                    "default": {}
                  },
                  "mode": {
                    "type": "string",
                    "default": "jobAsync",
                    "description": "Only `jobAsync` is accepted; any other value answers 400 `unsupported_mode`."
                  },
                  "jobId": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 64,
                    "pattern": "^[A-Za-z0-9._-]{1,64}$",
                    "description": "Client-chosen job id, making the submission idempotent. Generated when absent."
                  },
                  "principal": {
                    "type": "string",
                    "description": "Who asks. Recorded as given; not authenticated."
                  }
                }
              },
              "Job": {
                "type": "object",
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
                  "cancellationReason",
                  "callTree",
                  "worker",
                  "source"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "description": "Job id (client-chosen or generated; generated ids sort by time)."
                  },
                  "operation": {
                    "type": "string",
                    "example": "demo.echo"
                  },
                  "principal": {
                    "type": "string",
                    "nullable": true,
                    "description": "Who submitted the command, as given; not authenticated."
                  },
                  "mode": {
                    "$ref": "#/components/schemas/JobMode"
                  },
                  "status": {
                    "$ref": "#/components/schemas/JobStatus"
                  },
                  "sagaId": {
                    "type": "string",
                    "nullable": true
                  },
                  "acceptedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": false,
                    "description": "When the gateway or scheduler accepted the command. RFC 3339, UTC, with milliseconds, e.g. `2025-03-01T12:00:00.123Z`."
                  },
                  "scheduledAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When a task was queued for the workers. RFC 3339, UTC, with milliseconds, e.g. `2025-03-01T12:00:00.123Z`."
                  },
                  "startedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When a worker started the current attempt. RFC 3339, UTC, with milliseconds, e.g. `2025-03-01T12:00:00.123Z`."
                  },
                  "completedAt": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": true,
                    "description": "When the job reached a terminal status. RFC 3339, UTC, with milliseconds, e.g. `2025-03-01T12:00:00.123Z`."
                  },
                  "input": {
                    "description": "Input of the operation, any JSON value."
                  },
                  "result": {
                    "nullable": true,
                    "description": "Result of a succeeded job, any JSON value; null otherwise."
                  },
                  "resultSummary": {
                    "type": "string",
                    "nullable": true,
                    "description": "Short human text about the result."
                  },
                  "error": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/ErrorInfo"
                      }
                    ],
                    "nullable": true,
                    "description": "Why the job failed; null unless it failed."
                  },
                  "diagnostics": {
                    "type": "object",
                    "nullable": true,
                    "additionalProperties": true
                  },
                  "retryCount": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "attempt": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Number of the current or last attempt."
                  },
                  "cancellationReason": {
                    "type": "string",
                    "nullable": true
                  },
                  "callTree": {
                    "type": "object",
                    "nullable": true,
                    "additionalProperties": true
                  },
                  "worker": {
                    "type": "string",
                    "nullable": true,
                    "description": "Consumer name of the worker that ran it."
                  },
                  "source": {
                    "type": "string",
                    "enum": [
                      "http",
                      "stream"
                    ],
                    "description": "`http`: submitted to the gateway; `stream`: added to the command stream directly."
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
                    "description": "true when the time was up before the job finished."
                  }
                }
              },
              "JobResult": {
                "type": "object",
                "required": [
                  "jobId",
                  "status",
                  "result",
                  "error"
                ],
                "properties": {
                  "jobId": {
                    "type": "string"
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
                    "description": "Any JSON value, or null."
                  },
                  "error": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/ErrorInfo"
                      }
                    ],
                    "nullable": true
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
                    }
                  },
                  "nextCursor": {
                    "type": "string",
                    "nullable": true,
                    "description": "Cursor of the next page; null on the last page."
                  }
                }
              },
              "Operation": {
                "type": "object",
                "required": [
                  "name",
                  "description"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "example": "demo.echo"
                  },
                  "description": {
                    "type": "string"
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
                  "status"
                ],
                "additionalProperties": true,
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": [
                      "ok",
                      "unavailable"
                    ]
                  }
                },
                "description": "`ok` with 200; `unavailable` with 503, possibly with more fields saying why."
              }
            }
          }
        }
        """#
}
