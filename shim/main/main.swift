import CorralShim

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
ShimMain.prepare(arguments)
exit(await ShimMain.run(arguments))
