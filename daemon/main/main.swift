import CorralDaemon

#if canImport(Glibc)
import Glibc
#endif

exit(await DaemonMain.run(Array(CommandLine.arguments.dropFirst())))
