import JobModel
import RedisClient

/// The Lua scripts through which every service changes jobs and tasks.
///
/// Each script checks its transition against `JobTransitions` (embedded into the script text), writes the
/// record, appends the lifecycle event and, where a stream entry was being handled, acknowledges it, all in one
/// atomic step. A task record is the job hash itself for a job's primary task, or a task hash for a subscriber
/// task; scripts that act on tasks take both, with `kind` saying which.
public enum JobScripts {
    /// Shared by every script: the transition table and small helpers.
    static let prelude =
        JobTransitions.luaTable + """

                local function emit(events, kind, id, task, operation, principal, status, at, details)
                  redis.call('XADD', events, '*', 'type', kind, 'jobId', id, 'taskId', task, 'operation', operation,
                    'principal', principal, 'status', status, 'at', at, 'details', details)
                end
                local function is_terminal(status)
                  return status == 'succeeded' or status == 'failed' or status == 'cancelled'
                end
                -- Tells every gateway waiting for the job (the job's 'waiters' lists their reply streams) how the
                -- job stands now; a settled job needs no more telling.
                local function notify_waiters(job, waiters, event, settled)
                  if not waiters or waiters == '' then return end
                  local fields = redis.call('HGETALL', job)
                  for stream in string.gmatch(waiters, '[^,]+') do
                    redis.call('XADD', stream, 'MAXLEN', '~', 10000, '*', 'notice', 'job', 'event', event,
                      unpack(fields))
                    redis.call('EXPIRE', stream, 3600)
                  end
                  if settled then redis.call('HDEL', job, 'waiters') end
                end
                -- Puts a subscriber task back on its subscriber's own task stream, which only the workers hosting
                -- that subscriber read: a retry is taken by the same readers as the first delivery.
                local function requeue_subscriber(task_key, job_id, task_id, runs)
                  local namespace = string.sub(task_key, 1, #task_key - #task_id - #':task:')
                  redis.call('XADD', namespace .. ':tasks:sub:' .. runs, '*', 'jobId', job_id, 'kind', 'subscriber',
                    'taskId', task_id)
                end
                local function append_attempt(key, record)
                  local current = redis.call('HGET', key, 'attempts')
                  if current and current ~= '' then record = current .. ',' .. record end
                  redis.call('HSET', key, 'attempts', record)
                end
                local function create_job(job, index, id, operation, principal, mode, input, now, source, attempts,
                    run_at, idem)
                  redis.call('HSET', job, 'id', id, 'operation', operation, 'principal', principal, 'mode', mode,
                    'status', 'accepted', 'acceptedAt', now, 'input', input, 'retryCount', '0', 'attempt', '0',
                    'maxAttempts', attempts, 'attemptBudget', attempts, 'source', source)
                  if run_at ~= '' and run_at ~= '0' then redis.call('HSET', job, 'runAt', run_at) end
                  if idem ~= '' then redis.call('HSET', job, 'idempotencyKey', idem) end
                  redis.call('ZADD', index, now, id)
                end
                -- accepted -> scheduled: onto the task stream now, or into the due index until runAt. A first
                -- delivery carries what the worker needs to run the job (an input of up to 16 KiB), so that a short
                -- attempt can start and commit in one step.
                local function schedule_job(job, tasks, due, events, id, operation, principal, now, run_at, input)
                  run_at = tonumber(run_at) or 0
                  if run_at > tonumber(now) then
                    redis.call('HSET', job, 'status', 'scheduled', 'scheduledAt', now)
                    redis.call('ZADD', due, run_at, 'job|' .. id)
                    emit(events, 'job.scheduled', id, '', operation, principal, 'scheduled', now,
                      cjson.encode({runAt = run_at}))
                  else
                    if run_at > 0 then redis.call('HDEL', job, 'runAt') end
                    redis.call('HSET', job, 'status', 'scheduled', 'scheduledAt', now)
                    if #input <= 16384 then
                      redis.call('XADD', tasks, '*', 'jobId', id, 'kind', 'primary', 'operation', operation,
                        'principal', principal, 'input', input)
                    else
                      redis.call('XADD', tasks, '*', 'jobId', id, 'kind', 'primary')
                    end
                    emit(events, 'job.scheduled', id, '', operation, principal, 'scheduled', now, '')
                  end
                end

            """

    /// Creates a job submitted through the gateway. A `jobAsync` job goes onto the command stream for the
    /// scheduler; a job whose caller waits (`direct` = 1) is scheduled at once.
    ///
    /// KEYS: job, job index, command stream, event stream, task stream, due index, idempotency key.
    /// ARGV: id, operation, principal, mode, input, now, source, max attempts, run at, idempotency key,
    /// idempotency seconds, direct, the reply stream of the gateway waiting for the job ('' when none waits).
    /// Returns `{outcome, job id}`: `created`, `exists` (same operation and input, or same idempotency key) or
    /// `conflict`.
    public static let submit = RedisScript(
        name: "submit",
        source: prelude + """
            if ARGV[10] ~= '' then
              local known = redis.call('GET', KEYS[7])
              if known and redis.call('EXISTS', string.sub(KEYS[1], 1, -(#ARGV[1] + 1)) .. known) == 1 then
                return {'exists', known}
              end
            end
            local existing = redis.call('HMGET', KEYS[1], 'operation', 'input')
            if existing[1] then
              if existing[1] == ARGV[2] and existing[2] == ARGV[5] then return {'exists', ARGV[1]} end
              return {'conflict', ARGV[1]}
            end
            create_job(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8],
              ARGV[9], ARGV[10])
            if ARGV[10] ~= '' then redis.call('SET', KEYS[7], ARGV[1], 'EX', ARGV[11]) end
            emit(KEYS[4], 'job.accepted', ARGV[1], '', ARGV[2], ARGV[3], 'accepted', ARGV[6],
              '{"source":"' .. ARGV[7] .. '"}')
            if ARGV[13] ~= '' then redis.call('HSET', KEYS[1], 'waiters', ARGV[13]) end
            if ARGV[12] == '1' then
              schedule_job(KEYS[1], KEYS[5], KEYS[6], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[6], ARGV[9], ARGV[5])
            else
              redis.call('XADD', KEYS[3], '*', 'jobId', ARGV[1], 'operation', ARGV[2], 'source', ARGV[7])
            end
            return {'created', ARGV[1]}
            """)

    /// Handles one command-stream entry: creates the job if the gateway did not, moves it from accepted to
    /// scheduled and acknowledges the entry.
    ///
    /// KEYS: job, job index, task stream, event stream, command stream, due index, idempotency key.
    /// ARGV: entry id, group, now, id, operation, principal, mode, input, source, compare input ('1'/'0'),
    /// max attempts, run at, idempotency key, idempotency seconds, the producer's reply stream for the job's end
    /// ('' for none).
    /// Returns `{outcome, detail}`: `scheduled`, `skipped` (already past accepted), `duplicate` (idempotency
    /// key of another job, whose id is the detail) or `conflict`.
    public static let schedule = RedisScript(
        name: "schedule",
        source: prelude + """
            if ARGV[13] ~= '' then
              local known = redis.call('GET', KEYS[7])
              if known and known ~= ARGV[4] then
                redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
                return {'duplicate', known}
              end
            end
            local existing = redis.call('HMGET', KEYS[1], 'status', 'operation', 'input', 'principal', 'runAt')
            local status = existing[1]
            local principal = existing[4]
            local run_at = existing[5]
            local input = existing[3]
            if not status then
              create_job(KEYS[1], KEYS[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[3], ARGV[9], ARGV[11],
                ARGV[12], ARGV[13])
              if ARGV[13] ~= '' then redis.call('SET', KEYS[7], ARGV[4], 'EX', ARGV[14]) end
              if ARGV[15] and ARGV[15] ~= '' then redis.call('HSET', KEYS[1], 'waiters', ARGV[15]) end
              emit(KEYS[4], 'job.accepted', ARGV[4], '', ARGV[5], ARGV[6], 'accepted', ARGV[3],
                '{"source":"' .. ARGV[9] .. '"}')
              status = 'accepted'
              principal = ARGV[6]
              run_at = ARGV[12]
              input = ARGV[8]
            elseif existing[2] ~= ARGV[5] or (ARGV[10] == '1' and existing[3] ~= ARGV[8]) then
              return {'conflict', status}
            end
            if status ~= 'accepted' or not can_move(status, 'scheduled') then
              redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
              return {'skipped', status}
            end
            schedule_job(KEYS[1], KEYS[3], KEYS[6], KEYS[4], ARGV[4], ARGV[5], principal, ARGV[3], run_at, input)
            redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
            return {'scheduled', ''}
            """)

    /// Hands a `sync` command from the command stream to the workers, once: the task entry is added only by the
    /// call that acknowledges the command entry, so a repeated call adds nothing.
    ///
    /// KEYS: command stream, task stream. ARGV: group, entry id, operation, input, principal, reply stream,
    /// request id. Returns 1 when the request was handed on, 0 when an earlier call had done it.
    public static let forwardSync = RedisScript(
        name: "forwardSync",
        source: """
            if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then
              redis.call('XADD', KEYS[2], '*', 'kind', 'sync', 'operation', ARGV[3], 'input', ARGV[4],
                'principal', ARGV[5], 'replyTo', ARGV[6], 'requestId', ARGV[7])
              return 1
            end
            return 0
            """)

    /// Starts an attempt of a task: scheduled → running, under a lease naming the delivery and attempt.
    ///
    /// KEYS: task record, job, event stream. ARGV: worker, now, delivery entry id, lease milliseconds, kind.
    /// Returns `{'run', attempt, input or payload, operation or subscriber, principal, max attempts, event type}`,
    /// `{'skip', status}` or `{'missing'}`.
    public static let start = RedisScript(
        name: "start",
        source: prelude + """
            local primary = ARGV[5] == 'primary'
            local t = redis.call('HMGET', KEYS[1], 'status', 'attempt', 'maxAttempts', 'runAt', 'id', 'operation',
              'principal', 'input', 'runs', 'payload', 'eventType')
            if not t[1] then return {'missing'} end
            if t[1] ~= 'scheduled' or not can_move(t[1], 'running') then return {'skip', t[1]} end
            local j = t
            if not primary then
              j = redis.call('HMGET', KEYS[2], 'status', 'attempt', 'maxAttempts', 'runAt', 'id', 'operation',
                'principal')
              if not j[5] then return {'missing'} end
            end
            local attempt = tonumber(t[2] or '0') + 1
            if t[4] then redis.call('HDEL', KEYS[1], 'runAt') end
            redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[2], 'attempt', attempt,
              'retryCount', attempt - 1, 'worker', ARGV[1], 'lease', ARGV[3] .. '/' .. attempt,
              'leaseUntil', tonumber(ARGV[2]) + tonumber(ARGV[4]))
            local details = cjson.encode({attempt = attempt, worker = ARGV[1]})
            if primary then
              emit(KEYS[3], 'job.running', j[5], '', j[6], j[7], 'running', ARGV[2], details)
              return {'run', tostring(attempt), t[8], t[6], t[7], t[3], ''}
            end
            emit(KEYS[3], 'task.running', j[5], t[5], j[6], j[7], 'running', ARGV[2], details)
            return {'run', tostring(attempt), t[10], t[9], j[7], t[3], t[11]}
            """)

    /// Extends a running attempt's lease and keeps its delivery from looking idle to the reclaimer.
    ///
    /// KEYS: task record, delivery stream. ARGV: entry id, attempt, now, lease milliseconds, group, consumer.
    /// Returns `{'ok', cancellation reason or ''}` or `{'lost'}`.
    public static let renew = RedisScript(
        name: "renew",
        source: prelude + """
            local t = redis.call('HMGET', KEYS[1], 'status', 'lease', 'cancelRequested')
            if t[1] ~= 'running' or t[2] ~= ARGV[1] .. '/' .. ARGV[2] then return {'lost'} end
            redis.call('HSET', KEYS[1], 'leaseUntil', tonumber(ARGV[3]) + tonumber(ARGV[4]))
            redis.call('XCLAIM', KEYS[2], ARGV[5], ARGV[6], 0, ARGV[1], 'JUSTID')
            return {'ok', t[3] or ''}
            """)

    /// Ends an attempt that still holds its lease, in one atomic step: applies its staged writes, publishes its
    /// events (creating the tasks of async subscribers), records the outcome, schedules a retry or writes a dead
    /// letter, updates the job's task counts, and acknowledges the delivery.
    ///
    /// A task's first attempt may also have run before its start was recorded (operations whose every effect is
    /// staged, see `JobOperation.isTransactional`): then `finish` records the start too, as long as the task is
    /// still scheduled and was never started, so that such an attempt commits only if nothing else ran the task.
    ///
    /// KEYS: task record, job, event stream, delivery stream, task stream, due index, dead letters,
    /// subscriptions, job's task set, then one key per staged write.
    /// ARGV: [1] entry id, [2] group, [3] attempt, [4] outcome (`succeeded`, `failed`, `cancelled`, or `handedBack`
    /// for an attempt a stopping worker gives back unfinished), [5] now, [6] result, [7] result summary,
    /// [8] error code, [9] error message, [10] error action, [11] diagnostics, [12] call tree, [13] duration
    /// ms, [14] worker, [15] retry delay ms (-1: no retry), [16] retention seconds, [17] kind, [18] namespace,
    /// [19] start time of a first attempt whose start was not recorded ('' otherwise), [20] write count, then
    /// op/arg/arg per write, then event count, then type/payload per event.
    /// Returns `{'done', status}`, `{'retry', delay}`, `{'refused', status}` or `{'missing'}`.
    public static let finish = RedisScript(
        name: "finish",
        source: prelude + """
            local entry, group, attempt, outcome, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
            local primary = ARGV[17] == 'primary'
            local fresh = ARGV[19] ~= ''
            local t = redis.call('HMGET', KEYS[1], 'status', 'lease', 'maxAttempts', 'cancelRequested', 'startedAt',
              'id', 'operation', 'principal', 'attempts', 'tasksTotal', 'tasksDone', 'waiters', 'attempt', 'runs')
            if not t[1] then
              redis.call('XACK', KEYS[4], group, entry)
              return {'missing'}
            end
            local handed_back = outcome == 'handedBack'
            local target = handed_back and 'scheduled' or outcome
            local holds
            if fresh then
              holds = t[1] == 'scheduled' and (t[13] or '0') == '0' and attempt == '1'
                and can_move('scheduled', 'running')
            else
              holds = t[1] == 'running' and t[2] == entry .. '/' .. attempt
            end
            if not holds or not can_move('running', target) then
              if is_terminal(t[1]) then redis.call('XACK', KEYS[4], group, entry) end
              return {'refused', t[1]}
            end
            -- For a primary task the job is the task record; a subscriber task reads its job's fields.
            local j = t
            if not primary then
              j = redis.call('HMGET', KEYS[2], 'status', 'lease', 'maxAttempts', 'cancelRequested', 'startedAt', 'id',
                'operation', 'principal', 'attempts', 'tasksTotal', 'tasksDone', 'waiters')
            end
            local job_id, operation, principal = j[6], j[7], j[8]
            local task_id = primary and '' or t[6]
            local prefix = primary and 'job.' or 'task.'
            local started_at = fresh and ARGV[19] or t[5]
            -- The fields a recorded start would have set, for an attempt that ran before its start was recorded.
            local start_fields = {}
            if fresh then
              start_fields = {'startedAt', started_at, 'attempt', '1', 'retryCount', '0', 'worker', ARGV[14]}
              emit(KEYS[3], prefix .. 'running', job_id, task_id, operation, principal, 'running', started_at,
                cjson.encode({attempt = 1, worker = ARGV[14]}))
            end
            local error_info = nil
            if outcome ~= 'succeeded' then error_info = {code = ARGV[8], message = ARGV[9], action = ARGV[10]} end
            local record = cjson.encode({attempt = tonumber(attempt), worker = ARGV[14],
              startedAt = tonumber(started_at), endedAt = tonumber(now), outcome = outcome, error = error_info})
            if t[9] and t[9] ~= '' then record = t[9] .. ',' .. record end

            -- A stopping worker gives the attempt back unfinished: run again at once, with the budget untouched.
            if handed_back then
              redis.call('HSET', KEYS[1], 'status', 'scheduled', 'scheduledAt', now, 'attempts', record,
                'maxAttempts', tonumber(t[3]) + 1, unpack(start_fields))
              if not fresh then redis.call('HDEL', KEYS[1], 'lease', 'leaseUntil') end
              if primary then
                redis.call('XADD', KEYS[5], '*', 'jobId', job_id, 'kind', 'primary')
              else
                requeue_subscriber(KEYS[1], job_id, t[6], t[14])
              end
              emit(KEYS[3], prefix .. 'retry_scheduled', job_id, task_id, operation, principal, 'scheduled', now,
                cjson.encode({attempt = tonumber(attempt), delayMs = 0, error = error_info, handedBack = true}))
              redis.call('XACK', KEYS[4], group, entry)
              return {'retry', '0'}
            end

            local delay = tonumber(ARGV[15])
            if outcome == 'failed' and delay >= 0 and tonumber(attempt) < tonumber(t[3]) then
              redis.call('HSET', KEYS[1], 'status', 'scheduled', 'scheduledAt', now, 'errorCode', ARGV[8],
                'errorMessage', ARGV[9], 'errorAction', ARGV[10], 'attempts', record, unpack(start_fields))
              if not fresh then redis.call('HDEL', KEYS[1], 'lease', 'leaseUntil') end
              local member = primary and ('job|' .. job_id) or ('task|' .. job_id .. '|' .. t[6])
              if delay == 0 then
                if primary then
                  redis.call('XADD', KEYS[5], '*', 'jobId', job_id, 'kind', 'primary')
                else
                  requeue_subscriber(KEYS[1], job_id, t[6], t[14])
                end
              else
                redis.call('HSET', KEYS[1], 'runAt', tonumber(now) + delay)
                redis.call('ZADD', KEYS[6], tonumber(now) + delay, member)
              end
              emit(KEYS[3], prefix .. 'retry_scheduled', job_id, task_id, operation, principal, 'scheduled', now,
                cjson.encode({attempt = tonumber(attempt), delayMs = delay, error = error_info}))
              redis.call('XACK', KEYS[4], group, entry)
              return {'retry', tostring(delay)}
            end

            local fields = {'status', outcome, 'completedAt', now, 'diagnostics', ARGV[11], 'attempts', record}
            local removed = {'lease', 'leaseUntil'}
            local function set(name, value) fields[#fields + 1] = name; fields[#fields + 1] = value end
            for i = 1, #start_fields, 2 do set(start_fields[i], start_fields[i + 1]) end
            local tasks_total = tonumber(j[10] or '0')
            local index = 20
            if outcome == 'succeeded' then
              local writes = tonumber(ARGV[index])
              index = index + 1
              for i = 1, writes do
                local key, op, a, b = KEYS[9 + i], ARGV[index], ARGV[index + 1], ARGV[index + 2]
                index = index + 3
                if op == 'hset' then redis.call('HSET', key, a, b)
                elseif op == 'hincrby' then redis.call('HINCRBY', key, a, b)
                elseif op == 'set' then redis.call('SET', key, a)
                elseif op == 'del' then redis.call('DEL', key)
                elseif op == 'rpush' then redis.call('RPUSH', key, a)
                elseif op == 'sadd' then redis.call('SADD', key, a)
                end
              end
              local published = tonumber(ARGV[index])
              index = index + 1
              local publisher = primary and (job_id .. '/primary') or t[6]
              for i = 1, published do
                local event_type, payload = ARGV[index], ARGV[index + 1]
                index = index + 2
                local created = {}
                local subscribers = redis.call('HGET', KEYS[8], event_type)
                if subscribers then
                  for name, attempts in string.gmatch(subscribers, '([^,=]+)=(%d+)') do
                    tasks_total = redis.call('HINCRBY', KEYS[2], 'tasksTotal', 1)
                    local child = job_id .. '.' .. tasks_total
                    redis.call('HSET', ARGV[18] .. ':task:' .. child, 'id', child, 'jobId', job_id, 'parent', publisher,
                      'kind', 'subscriber', 'runs', name, 'eventType', event_type, 'payload', payload,
                      'status', 'scheduled', 'attempt', '0', 'maxAttempts', attempts, 'attemptBudget', attempts,
                      'createdAt', now)
                    redis.call('SADD', KEYS[9], child)
                    created[#created + 1] = name .. '=' .. child
                  end
                end
                redis.call('XADD', KEYS[3], '*', 'type', event_type, 'jobId', job_id, 'taskId', publisher,
                  'operation', operation, 'principal', principal, 'status', 'published', 'at', now, 'details', payload,
                  'subscriberTasks', table.concat(created, ','))
              end
              set('result', ARGV[6])
              if ARGV[7] ~= '' then set('resultSummary', ARGV[7]) end
              removed[#removed + 1] = 'errorCode'
              removed[#removed + 1] = 'errorMessage'
              removed[#removed + 1] = 'errorAction'
              removed[#removed + 1] = 'conclusion'
            elseif outcome == 'failed' then
              set('errorCode', ARGV[8])
              set('errorMessage', ARGV[9])
              set('errorAction', ARGV[10])
              removed[#removed + 1] = 'result'
              removed[#removed + 1] = 'resultSummary'
              if delay >= 0 then
                set('conclusion', 'attempts exhausted: ' .. attempt .. ' of ' .. t[3])
                redis.call('XADD', KEYS[7], '*', 'jobId', job_id, 'taskId', task_id, 'kind', ARGV[17],
                  'operation', operation, 'attempt', attempt, 'errorCode', ARGV[8], 'errorMessage', ARGV[9], 'at', now)
              else
                set('conclusion', 'not retried: the error asks to ' .. ARGV[10])
              end
            else
              set('cancellationReason', t[4] or ARGV[9])
              removed[#removed + 1] = 'cancelRequested'
            end
            if ARGV[12] ~= '' then set('callTree', ARGV[12]) end
            -- When the commit happened, by the Redis clock, in microseconds: the end of the call tree's commit span.
            local clock = redis.call('TIME')
            set('committedAt', clock[1] .. string.format('%06d', clock[2]))
            redis.call('HSET', KEYS[1], unpack(fields))
            -- A first attempt that ran before its start was recorded left no lease or earlier outcome to remove.
            if not fresh then redis.call('HDEL', KEYS[1], unpack(removed)) end

            local details = cjson.encode({attempt = tonumber(attempt), durationMs = tonumber(ARGV[13]),
              error = error_info})
            emit(KEYS[3], prefix .. outcome, job_id, task_id, operation, principal, outcome, now, details)
            local job_status = primary and outcome or j[1]
            local done = tonumber(j[11] or '0')
            if not primary then
              done = redis.call('HINCRBY', KEYS[2], 'tasksDone', 1)
              redis.call('EXPIRE', KEYS[1], ARGV[16])
            end
            local settled = is_terminal(job_status) and done >= tasks_total
            if settled and (not primary or done > 0) then
              emit(KEYS[3], 'job.settled', job_id, '', operation, principal, job_status, now, '')
            end
            if is_terminal(job_status) then
              redis.call('EXPIRE', KEYS[2], ARGV[16])
              if tasks_total > 0 then redis.call('EXPIRE', KEYS[9], ARGV[16]) end
              if primary then notify_waiters(KEYS[2], j[12], 'job.' .. outcome, settled)
              elseif settled then notify_waiters(KEYS[2], j[12], 'job.settled', true) end
            end
            redis.call('XACK', KEYS[4], group, entry)
            return {'done', outcome}
            """)

    /// Hands a delivery whose worker went away back out: a task that never started goes onto the task stream
    /// again; a running one whose lease lapsed is recorded as crashed and retried, or failed when its attempts
    /// are used up. A task whose lease is still alive is given back to its worker.
    ///
    /// KEYS: task record, job, event stream, delivery stream, task stream, dead letters.
    /// ARGV: entry id, group, now, kind, retention seconds.
    /// Returns `{outcome}`: `requeued`, `retried`, `alive`, `stale` or `missing`; or `{outcome, name}` for a task it
    /// ends, `failed` or `cancelled`, with the name of the operation or subscriber the task ran.
    public static let reclaim = RedisScript(
        name: "reclaim",
        source: prelude + """
            local entry, group, now = ARGV[1], ARGV[2], ARGV[3]
            local primary = ARGV[4] == 'primary'
            local t = redis.call('HMGET', KEYS[1], 'status', 'lease', 'leaseUntil', 'attempt', 'maxAttempts', 'worker',
              'startedAt', 'cancelRequested', 'id', 'runs')
            local j = redis.call('HMGET', KEYS[2], 'id', 'operation', 'principal', 'status', 'tasksTotal', 'tasksDone',
              'waiters')
            if not t[1] or not j[1] then
              redis.call('XACK', KEYS[4], group, entry)
              return {'missing'}
            end
            local task_id = primary and '' or t[9]
            local prefix = primary and 'job.' or 'task.'
            local function requeue()
              if primary then
                redis.call('XADD', KEYS[5], '*', 'jobId', j[1], 'kind', 'primary')
              else
                requeue_subscriber(KEYS[1], j[1], t[9], t[10])
              end
            end
            if t[1] == 'scheduled' then
              if not redis.call('HGET', KEYS[1], 'runAt') then requeue() end
              redis.call('XACK', KEYS[4], group, entry)
              return {'requeued'}
            end
            if t[1] ~= 'running' then
              redis.call('XACK', KEYS[4], group, entry)
              return {'stale'}
            end
            if string.sub(t[2] or '', 1, #entry + 1) ~= entry .. '/' then
              redis.call('XACK', KEYS[4], group, entry)
              return {'stale'}
            end
            if tonumber(t[3] or '0') > tonumber(now) then
              redis.call('XCLAIM', KEYS[4], group, t[6], 0, entry, 'JUSTID')
              return {'alive'}
            end
            local attempt = tonumber(t[4])
            local crash = {code = 'worker_lost', message = 'worker ' .. (t[6] or '?') .. ' stopped renewing its lease',
              action = 'retryNow'}
            append_attempt(KEYS[1], cjson.encode({attempt = attempt, worker = t[6], startedAt = tonumber(t[7]),
              endedAt = tonumber(now), outcome = 'crashed', error = crash}))
            redis.call('HDEL', KEYS[1], 'lease', 'leaseUntil')
            redis.call('XACK', KEYS[4], group, entry)
            local final = nil
            if t[8] then
              redis.call('HSET', KEYS[1], 'status', 'cancelled', 'completedAt', now, 'cancellationReason', t[8])
              redis.call('HDEL', KEYS[1], 'cancelRequested')
              final = 'cancelled'
            elseif attempt < tonumber(t[5]) then
              redis.call('HSET', KEYS[1], 'status', 'scheduled', 'scheduledAt', now)
              requeue()
              emit(KEYS[3], prefix .. 'retry_scheduled', j[1], task_id, j[2], j[3], 'scheduled', now,
                cjson.encode({attempt = attempt, delayMs = 0, error = crash}))
              return {'retried'}
            else
              redis.call('HSET', KEYS[1], 'status', 'failed', 'completedAt', now, 'errorCode', crash.code,
                'errorMessage', crash.message, 'errorAction', 'escalate',
                'conclusion', 'attempts exhausted: ' .. attempt .. ' of ' .. t[5] .. ', the last one crashed')
              redis.call('XADD', KEYS[6], '*', 'jobId', j[1], 'taskId', task_id, 'kind', ARGV[4], 'operation', j[2],
                'attempt', attempt, 'errorCode', crash.code, 'errorMessage', crash.message, 'at', now)
              final = 'failed'
            end
            emit(KEYS[3], prefix .. final, j[1], task_id, j[2], j[3], final, now, cjson.encode({attempt = attempt}))
            if primary then
              notify_waiters(KEYS[2], j[7], prefix .. final, tonumber(j[6] or '0') >= tonumber(j[5] or '0'))
            else
              local done = redis.call('HINCRBY', KEYS[2], 'tasksDone', 1)
              if is_terminal(j[4]) and done >= tonumber(j[5] or '0') then
                emit(KEYS[3], 'job.settled', j[1], '', j[2], j[3], j[4], now, '')
                notify_waiters(KEYS[2], j[7], 'job.settled', true)
              end
              redis.call('EXPIRE', KEYS[1], ARGV[5])
            end
            redis.call('EXPIRE', KEYS[2], ARGV[5])
            if tonumber(j[5] or '0') > 0 then redis.call('EXPIRE', KEYS[2] .. ':tasks', ARGV[5]) end
            return {final, primary and j[2] or (t[10] or '')}
            """)

    /// Moves due work (delayed starts and retries after backoff) onto the task stream.
    ///
    /// KEYS: due index, task stream. ARGV: now, most items to move, namespace.
    /// Returns how many items were moved.
    public static let promote = RedisScript(
        name: "promote",
        source: prelude + """
            local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for _, member in ipairs(items) do
              redis.call('ZREM', KEYS[1], member)
              local kind, job, task = string.match(member, '^(%a+)|([^|]+)|?(.*)$')
              if kind == 'job' then
                local key = ARGV[3] .. ':job:' .. job
                if redis.call('HGET', key, 'status') == 'scheduled' then
                  redis.call('HDEL', key, 'runAt')
                  redis.call('XADD', KEYS[2], '*', 'jobId', job, 'kind', 'primary')
                end
              elseif kind == 'task' then
                local key = ARGV[3] .. ':task:' .. task
                local t = redis.call('HMGET', key, 'status', 'runs')
                if t[1] == 'scheduled' then
                  redis.call('HDEL', key, 'runAt')
                  requeue_subscriber(key, job, task, t[2])
                end
              end
            end
            return #items
            """)

    /// Cancels a job: at once when it has not started, cooperatively (announced to workers) when it runs.
    ///
    /// KEYS: job, event stream, due index. ARGV: reason, now, retention seconds, cancel channel.
    /// Returns `{'cancelled', job fields}`, `{'requested', job fields}` (the job right after the change),
    /// `{'conflict', status}` or `{'missing'}`.
    public static let cancel = RedisScript(
        name: "cancel",
        source: prelude + """
            local j = redis.call('HMGET', KEYS[1], 'status', 'id', 'operation', 'principal', 'waiters')
            if not j[1] then return {'missing'} end
            if (j[1] == 'accepted' or j[1] == 'scheduled') and can_move(j[1], 'cancelled') then
              redis.call('HSET', KEYS[1], 'status', 'cancelled', 'completedAt', ARGV[2], 'cancellationReason', ARGV[1])
              redis.call('HDEL', KEYS[1], 'runAt')
              redis.call('ZREM', KEYS[3], 'job|' .. j[2])
              emit(KEYS[2], 'job.cancelled', j[2], '', j[3], j[4], 'cancelled', ARGV[2],
                cjson.encode({reason = ARGV[1]}))
              redis.call('EXPIRE', KEYS[1], ARGV[3])
              notify_waiters(KEYS[1], j[5], 'job.cancelled', true)
              return {'cancelled', redis.call('HGETALL', KEYS[1])}
            end
            if j[1] == 'running' then
              redis.call('HSET', KEYS[1], 'cancelRequested', ARGV[1])
              emit(KEYS[2], 'job.cancel_requested', j[2], '', j[3], j[4], 'running', ARGV[2],
                cjson.encode({reason = ARGV[1]}))
              redis.call('PUBLISH', ARGV[4], j[2])
              return {'requested', redis.call('HGETALL', KEYS[1])}
            end
            return {'conflict', j[1]}
            """)

    /// Runs a failed or cancelled task again, with a fresh budget of attempts: a job's primary task (a manual
    /// retry of the job, under the same id) or a subscriber task (a requeued dead letter).
    ///
    /// KEYS: task record, job, event stream, task stream. ARGV: now, who asked, kind.
    /// Returns `{'retried'}`, `{'conflict', status}` or `{'missing'}`.
    public static let retry = RedisScript(
        name: "retry",
        source: prelude + """
            local primary = ARGV[3] == 'primary'
            local t = redis.call('HMGET', KEYS[1], 'status', 'attempt', 'attemptBudget', 'maxAttempts', 'id', 'runs')
            local j = redis.call('HMGET', KEYS[2], 'id', 'operation', 'principal')
            if not t[1] or not j[1] then return {'missing'} end
            if not ((t[1] == 'failed' or t[1] == 'cancelled') and can_move(t[1], 'scheduled')) then
              return {'conflict', t[1]}
            end
            local budget = tonumber(t[3] or t[4] or '1')
            redis.call('HSET', KEYS[1], 'status', 'scheduled', 'scheduledAt', ARGV[1],
              'maxAttempts', tonumber(t[2] or '0') + budget)
            redis.call('HDEL', KEYS[1], 'completedAt', 'result', 'resultSummary', 'errorCode', 'errorMessage',
              'errorAction', 'conclusion', 'cancellationReason', 'cancelRequested', 'runAt', 'startedAt',
              'worker', 'callTree', 'diagnostics')
            redis.call('PERSIST', KEYS[1])
            redis.call('PERSIST', KEYS[2])
            if primary then
              redis.call('XADD', KEYS[4], '*', 'jobId', j[1], 'kind', 'primary')
              emit(KEYS[3], 'job.retried', j[1], '', j[2], j[3], 'scheduled', ARGV[1],
                cjson.encode({previousStatus = t[1], by = ARGV[2]}))
            else
              redis.call('HINCRBY', KEYS[2], 'tasksDone', -1)
              requeue_subscriber(KEYS[1], j[1], t[5], t[6])
              emit(KEYS[3], 'task.retried', j[1], t[5], j[2], j[3], 'scheduled', ARGV[1],
                cjson.encode({previousStatus = t[1], by = ARGV[2]}))
            end
            return {'retried'}
            """)

    /// Registers a gateway's wait for a job and returns the job as it is now (all its fields, none when it does
    /// not exist). Until the job settles, the scripts that end or settle it append the job to the gateway's reply
    /// stream (see `notify_waiters`), so nobody polls.
    ///
    /// KEYS: job. ARGV: the waiting gateway's reply stream.
    public static let watch = RedisScript(
        name: "watch",
        source: prelude + """
            local fields = redis.call('HGETALL', KEYS[1])
            if #fields == 0 then return fields end
            local job = {}
            for i = 1, #fields, 2 do job[fields[i]] = fields[i + 1] end
            if is_terminal(job.status) and tonumber(job.tasksDone or '0') >= tonumber(job.tasksTotal or '0') then
              return fields
            end
            local waiters = job.waiters or ''
            if not string.find(',' .. waiters .. ',', ',' .. ARGV[1] .. ',', 1, true) then
              redis.call('HSET', KEYS[1], 'waiters', waiters == '' and ARGV[1] or (waiters .. ',' .. ARGV[1]))
            end
            return fields
            """)

    /// Commits a `sync` request: applies its staged writes, appends its events and a `sync.executed` event (so
    /// the audit trail shows the call though no job was kept), sends the reply to the waiting gateway and
    /// acknowledges the task entry.
    ///
    /// KEYS: task stream, reply stream, event stream, then one key per staged write.
    /// ARGV: [1] group, [2] entry id, [3] request id, [4] outcome, [5] body (result or error JSON), [6] now,
    /// [7] operation, [8] principal, [9] details of the execution (JSON), [10] write count, then op/arg/arg per
    /// write, then event count, then type/payload per event.
    public static let replySync = RedisScript(
        name: "replySync",
        source: prelude + """
            local index = 10
            if ARGV[4] == 'succeeded' then
              local writes = tonumber(ARGV[index])
              index = index + 1
              for i = 1, writes do
                local key, op, a, b = KEYS[3 + i], ARGV[index], ARGV[index + 1], ARGV[index + 2]
                index = index + 3
                if op == 'hset' then redis.call('HSET', key, a, b)
                elseif op == 'hincrby' then redis.call('HINCRBY', key, a, b)
                elseif op == 'set' then redis.call('SET', key, a)
                elseif op == 'del' then redis.call('DEL', key)
                elseif op == 'rpush' then redis.call('RPUSH', key, a)
                elseif op == 'sadd' then redis.call('SADD', key, a)
                end
              end
              local published = tonumber(ARGV[index])
              index = index + 1
              for i = 1, published do
                redis.call('XADD', KEYS[3], '*', 'type', ARGV[index], 'jobId', '', 'taskId', '', 'operation', ARGV[7],
                  'principal', ARGV[8], 'status', 'published', 'at', ARGV[6], 'details', ARGV[index + 1])
                index = index + 2
              end
            end
            emit(KEYS[3], 'sync.executed', '', '', ARGV[7], ARGV[8], ARGV[4], ARGV[6], ARGV[9])
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'requestId', ARGV[3], 'outcome', ARGV[4],
              'body', ARGV[5])
            redis.call('EXPIRE', KEYS[2], 3600)
            redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
            return {'done'}
            """)
}
