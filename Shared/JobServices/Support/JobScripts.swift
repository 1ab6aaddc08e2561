import JobModel
import RedisClient

/// The Lua scripts through which every service changes a job. Each one checks the transition against
/// `JobTransitions` (embedded into the script text), writes the job, appends its lifecycle event and, where a
/// stream entry was being handled, acknowledges it, all in one atomic step.
public enum JobScripts {
    /// Shared by every script: the transition table and the event writer.
    static let prelude =
        JobTransitions.luaTable + """

            local function emit(events, kind, id, operation, principal, status, at, details)
              redis.call('XADD', events, '*', 'type', kind, 'jobId', id, 'operation', operation,
                'principal', principal, 'status', status, 'at', at, 'details', details)
            end
            local function is_terminal(status)
              return status == 'succeeded' or status == 'failed' or status == 'cancelled'
            end

            """

    /// Creates a job submitted through the gateway and queues its command.
    ///
    /// KEYS: job, job index, command stream, event stream.
    /// ARGV: id, operation, principal, mode, input, now, source.
    /// Returns `{outcome, status}`: `created`, `exists` (same operation and input) or `conflict`.
    public static let submit = RedisScript(
        name: "submit",
        source: prelude + """
            local existing = redis.call('HMGET', KEYS[1], 'operation', 'input', 'status')
            if existing[1] then
              if existing[1] == ARGV[2] and existing[2] == ARGV[5] then return {'exists', existing[3]} end
              return {'conflict', existing[3]}
            end
            redis.call('HSET', KEYS[1], 'id', ARGV[1], 'operation', ARGV[2], 'principal', ARGV[3], 'mode', ARGV[4],
              'status', 'accepted', 'acceptedAt', ARGV[6], 'input', ARGV[5], 'retryCount', '0', 'attempt', '0',
              'source', ARGV[7])
            redis.call('ZADD', KEYS[2], 0, ARGV[1])
            redis.call('XADD', KEYS[3], '*', 'jobId', ARGV[1], 'operation', ARGV[2], 'source', ARGV[7])
            emit(KEYS[4], 'job.accepted', ARGV[1], ARGV[2], ARGV[3], 'accepted', ARGV[6], '')
            return {'created', 'accepted'}
            """)

    /// Handles one command-stream entry: creates the job if the gateway did not, moves it from accepted to
    /// scheduled, queues its task and acknowledges the entry.
    ///
    /// KEYS: job, job index, task stream, event stream, command stream.
    /// ARGV: entry id, group, now, id, operation, principal, mode, input, source, compare input ('1'/'0').
    /// Returns `{outcome, status}`: `scheduled`, `skipped` (already past accepted) or `conflict`.
    public static let schedule = RedisScript(
        name: "schedule",
        source: prelude + """
            local existing = redis.call('HMGET', KEYS[1], 'status', 'operation', 'input', 'principal')
            local status = existing[1]
            local principal = existing[4]
            if not status then
              redis.call('HSET', KEYS[1], 'id', ARGV[4], 'operation', ARGV[5], 'principal', ARGV[6], 'mode', ARGV[7],
                'status', 'accepted', 'acceptedAt', ARGV[3], 'input', ARGV[8], 'retryCount', '0', 'attempt', '0',
                'source', ARGV[9])
              redis.call('ZADD', KEYS[2], 0, ARGV[4])
              emit(KEYS[4], 'job.accepted', ARGV[4], ARGV[5], ARGV[6], 'accepted', ARGV[3], '')
              status = 'accepted'
              principal = ARGV[6]
            elseif existing[2] ~= ARGV[5] or (ARGV[10] == '1' and existing[3] ~= ARGV[8]) then
              return {'conflict', status}
            end
            if status ~= 'accepted' or not can_move(status, 'scheduled') then
              redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
              return {'skipped', status}
            end
            redis.call('HSET', KEYS[1], 'status', 'scheduled', 'scheduledAt', ARGV[3])
            redis.call('XADD', KEYS[3], '*', 'jobId', ARGV[4], 'operation', ARGV[5])
            emit(KEYS[4], 'job.scheduled', ARGV[4], ARGV[5], principal, 'scheduled', ARGV[3], '')
            redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
            return {'scheduled', 'scheduled'}
            """)

    /// Starts an attempt: scheduled → running, with a lease naming the task entry and attempt number.
    ///
    /// KEYS: job, event stream. ARGV: worker, now, task entry id.
    /// Returns `{'run', attempt, input, operation, principal}`, `{'skip', status}` or `{'missing'}`.
    public static let start = RedisScript(
        name: "start",
        source: prelude + """
            local f = redis.call('HMGET', KEYS[1], 'status', 'operation', 'principal', 'attempt', 'input', 'id')
            if not f[1] then return {'missing'} end
            if f[1] ~= 'scheduled' or not can_move(f[1], 'running') then return {'skip', f[1]} end
            local attempt = tonumber(f[4] or '0') + 1
            redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[2], 'attempt', attempt,
              'retryCount', attempt - 1, 'worker', ARGV[1], 'lease', ARGV[3] .. '/' .. attempt)
            emit(KEYS[2], 'job.running', f[6], f[2], f[3], 'running', ARGV[2],
              cjson.encode({attempt = attempt, worker = ARGV[1]}))
            return {'run', tostring(attempt), f[5], f[2], f[3]}
            """)

    /// Ends an attempt that still holds its lease: running → succeeded or failed, and acknowledges the task.
    ///
    /// KEYS: job, event stream, task stream.
    /// ARGV: task entry id, group, attempt, status, now, result, result summary, error code, error message,
    /// error action, diagnostics, call tree, details.
    /// Returns `{'done', status}`, `{'refused', status}` (lease lost or job moved on) or `{'missing'}`.
    public static let finish = RedisScript(
        name: "finish",
        source: prelude + """
            local f = redis.call('HMGET', KEYS[1], 'status', 'lease', 'operation', 'principal', 'id')
            if not f[1] then
              redis.call('XACK', KEYS[3], ARGV[2], ARGV[1])
              return {'missing'}
            end
            if f[1] ~= 'running' or f[2] ~= (ARGV[1] .. '/' .. ARGV[3]) or not can_move(f[1], ARGV[4]) then
              if is_terminal(f[1]) then redis.call('XACK', KEYS[3], ARGV[2], ARGV[1]) end
              return {'refused', f[1]}
            end
            redis.call('HSET', KEYS[1], 'status', ARGV[4], 'completedAt', ARGV[5], 'diagnostics', ARGV[11],
              'callTree', ARGV[12])
            if ARGV[4] == 'succeeded' then
              redis.call('HSET', KEYS[1], 'result', ARGV[6], 'resultSummary', ARGV[7])
              redis.call('HDEL', KEYS[1], 'lease', 'errorCode', 'errorMessage', 'errorAction')
            else
              redis.call('HSET', KEYS[1], 'errorCode', ARGV[8], 'errorMessage', ARGV[9], 'errorAction', ARGV[10])
              redis.call('HDEL', KEYS[1], 'lease', 'result', 'resultSummary')
            end
            emit(KEYS[2], 'job.' .. ARGV[4], f[5], f[3], f[4], ARGV[4], ARGV[5], ARGV[13])
            redis.call('XACK', KEYS[3], ARGV[2], ARGV[1])
            return {'done', ARGV[4]}
            """)
}
