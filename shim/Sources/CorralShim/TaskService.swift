import CorralSystem
import ShimAPI
import ShimCgroups
import TTRPC

/// `corral.shim.v1.Task`: the pod's containers and execs.
enum TaskService {
    static func make(_ tasks: TaskRegistry) -> Service {
        var service = Service(name: TaskMethods.service)
        service.unary(TaskMethods.create) { _, request in try await tasks.create(request) }
        service.unary(TaskMethods.start) { _, request in try await tasks.start(request) }
        service.unary(TaskMethods.kill) { _, request in
            try await tasks.kill(request)
            return .init()
        }
        service.unary(TaskMethods.delete) { _, request in try await tasks.delete(request) }
        service.unary(TaskMethods.exec) { _, request in try await tasks.exec(request) }
        service.unary(TaskMethods.resizePty) { _, request in
            try await tasks.resize(request)
            return .init()
        }
        service.unary(TaskMethods.closeIO) { _, request in
            try await tasks.closeIO(request)
            return .init()
        }
        service.unary(TaskMethods.wait) { _, request in try await tasks.wait(request) }
        service.unary(TaskMethods.state) { _, request in try await tasks.state(request) }
        service.unary(TaskMethods.pids) { _, request in try await tasks.pids(request) }
        service.unary(TaskMethods.stats) { _, request in
            let paths = try await tasks.cgroupPaths(request.id)
            var response = Corral_Shim_V1_TaskStatsResponse()
            response.timestamp = .init(wallNanos: Clock.wallNanos)
            (response.cpu, response.memory, response.pids) = CgroupStats.read(paths).usage
            return response
        }
        service.unary(TaskMethods.update) { _, request in
            try await tasks.update(request)
            return .init()
        }
        service.unary(TaskMethods.reopenLog) { _, request in
            try await tasks.reopenLog(request)
            return .init()
        }
        service.unary(TaskMethods.attach) { _, request in
            try await tasks.attach(request)
            return .init()
        }
        service.unary(TaskMethods.checkpoint) { _, request in try await tasks.checkpoint(request) }
        return service
    }
}

extension CgroupStats {
    var usage: (Corral_Shim_V1_CpuUsage, Corral_Shim_V1_MemoryUsage, Corral_Shim_V1_PidsUsage) {
        var cpu = Corral_Shim_V1_CpuUsage()
        cpu.usageCoreNanos = self.cpu.usageNanos
        cpu.userNanos = self.cpu.userNanos
        cpu.systemNanos = self.cpu.systemNanos
        var memory = Corral_Shim_V1_MemoryUsage()
        memory.usageBytes = self.memory.usageBytes
        memory.workingSetBytes = self.memory.workingSetBytes
        memory.rssBytes = self.memory.rssBytes
        memory.limitBytes = self.memory.limitBytes ?? 0
        var pids = Corral_Shim_V1_PidsUsage()
        pids.current = self.pids.current
        pids.limit = self.pids.limit ?? 0
        return (cpu, memory, pids)
    }
}
