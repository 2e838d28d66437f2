@testable import CorralDaemon
import Testing

/// Which slice a pod's shim scope joins: the pod's own with the systemd driver, else system.slice.
@Suite struct ShimScopeTests {
    @Test func theSystemdDriverPutsTheShimInThePodsSlice() {
        let scope = ShimScope(systemdDriver: true)
        #expect(scope.slice(forCgroupParent: "kubepods-burstable-pod12_34.slice") == "kubepods-burstable-pod12_34.slice")
        #expect(scope.slice(forCgroupParent: "/kubepods/burstable/pod1234") == "system.slice")
        #expect(scope.slice(forCgroupParent: "") == "system.slice")
        #expect(ShimScope.unit(ofPod: "abc") == "corral-shim-abc.scope")
    }

    @Test func cgroupfsPodsLeaveTheShimInSystemSlice() {
        #expect(ShimScope(systemdDriver: false).slice(forCgroupParent: "kubepods-burstable-pod12_34.slice") == "system.slice")
    }
}
