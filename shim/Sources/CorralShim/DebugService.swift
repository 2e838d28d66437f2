import CorralSystem
import ShimAPI
import ShimContract
import TTRPC

/// `corral.shim.v1.Debug`: what an operator can ask a live shim.
enum DebugService {
    static func make(_ shim: ShimContext, tasks: TaskRegistry, serverAddress: String) -> Service {
        var service = Service(name: DebugMethods.service)
        service.unary(DebugMethods.version) { _, _ in
            var response = Corral_Shim_V1_VersionResponse()
            response.version = BuildInfo.version
            response.revision = BuildInfo.revision
            response.protocolVersion = ShimProtocol.version
            response.runtime = BuildInfo.runtime
            return response
        }
        service.unary(DebugMethods.ping) { _, _ in
            var response = Corral_Shim_V1_PingResponse()
            response.serverTime = .init(wallNanos: Clock.wallNanos)
            return response
        }
        service.unary(DebugMethods.info) { _, _ in
            let stats = ProcessStatistics.read()
            var response = Corral_Shim_V1_InfoResponse()
            response.pid = UInt32(ProcessControl.pid)
            response.uptimeNanos = Clock.monotonicNanos &- shim.startedAtMonotonicNanos
            response.vmRssBytes = stats.vmRSSBytes
            response.pssBytes = stats.pssBytes
            response.anonymousBytes = stats.anonymousBytes
            response.openFds = stats.openFileDescriptors
            response.threads = stats.threads
            response.startedAt = .init(wallNanos: shim.startedAtWallNanos)
            response.sandboxID = shim.options.id
            response.stateDir = shim.paths.stateDir
            response.address = serverAddress
            return response
        }
        service.unary(DebugMethods.tasks) { _, _ in
            var response = Corral_Shim_V1_TasksResponse()
            response.tasks = await tasks.all.map { record in
                var info = Corral_Shim_V1_TaskInfo()
                info.id = record.id
                info.execID = record.execID
                info.pid = UInt32(record.pid)
                info.status = record.status
                info.exitStatus = record.exit?.status ?? 0
                info.runtime = record.runtimeBinary
                info.bundle = record.bundle
                if record.startedAtWallNanos > 0 { info.startedAt = .init(wallNanos: record.startedAtWallNanos) }
                if let exit = record.exit { info.exitedAt = .init(wallNanos: exit.exitedAtWallNanos) }
                return info
            }
            return response
        }
        service.unary(DebugMethods.recentEvents) { _, request in
            var response = Corral_Shim_V1_RecentEventsResponse()
            response.events = shim.events.recent(limit: Int(request.limit))
            return response
        }
        service.unary(DebugMethods.recentRPCs) { _, request in
            var response = Corral_Shim_V1_RecentRPCsResponse()
            response.rpcs = shim.recentCalls.recent(limit: Int(request.limit)).map { call in
                var record = Corral_Shim_V1_RPCRecord()
                record.service = call.service
                record.method = call.method
                record.code = call.code.rawValue
                record.durationNanos = call.durationNanos
                record.at = .init(wallNanos: call.finishedAtWallNanos &- call.durationNanos)
                return record
            }
            return response
        }
        service.unary(DebugMethods.logs) { _, request in
            var response = Corral_Shim_V1_LogsResponse()
            response.lines = shim.log.recent(limit: Int(request.limit))
            return response
        }
        return service
    }
}
