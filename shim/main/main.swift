import CorralShim

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
ShimMain.prepare(arguments)
exit(ShimMain.runBlocking(arguments))
