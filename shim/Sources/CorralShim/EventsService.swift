import ShimAPI
import TTRPC

/// `corral.shim.v1.Events`: one server stream per subscriber, from `after_sequence` on.
enum EventsService {
    static func make(_ shim: ShimContext) -> Service {
        var service = Service(name: EventsMethods.service)
        service.serverStream(EventsMethods.subscribe) { _, request, writer in
            for await envelope in shim.events.subscribe(after: request.afterSequence) {
                try writer.send(envelope)
            }
        }
        return service
    }
}
