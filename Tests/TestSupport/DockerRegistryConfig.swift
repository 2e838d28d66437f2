/// The configuration of Debian's docker-registry as the tests run it: quiet, storing under
/// `storage`, deletes allowed, listening on 127.0.0.1:`port`; `http` adds to its http section
/// (indented as YAML wants it, e.g. a `tls:` block).
public func dockerRegistryConfig(storage: String, port: UInt16, http: String = "") -> String {
    """
    version: 0.1
    log:
      level: error
      accesslog:
        disabled: true
    storage:
      filesystem:
        rootdirectory: \(storage)
      delete:
        enabled: true
    http:
      addr: 127.0.0.1:\(port)\(http)
    """
}
